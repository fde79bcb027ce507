/**
 * Fashion-MNIST (Xiao et al. 2017): MNIST's format and shape, harder classes. Looked
 * for in `data/fashion-mnist/`, then in Debian's `dataset-fashion-mnist` package
 * (`/usr/share/datasets/fashion-mnist/`), else downloaded from the official URLs.
 * The .gz files differ between sources (Debian recompresses them), so the check is a
 * SHA-256 of the decompressed IDX payload, which is the same everywhere.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { UserError } from '../util/errors.js';
import { DATA_DIR } from './paths.js';
import { downloadFile } from './download.js';
import { loadIdxDataset, type IdxDecoder, type IdxSetOptions } from './mnist.js';
import type { Dataset } from '../data/types.js';

export const FASHION_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';
const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

/** SHA-256 of each decompressed file (measured on Debian's dataset-fashion-mnist 0.0~git20200523). */
export const FASHION_SHA256: Record<string, string> = {
  'train-images-idx3-ubyte.gz': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  'train-labels-idx1-ubyte.gz': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  't10k-images-idx3-ubyte.gz': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  't10k-labels-idx1-ubyte.gz': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
};

export interface FashionOptions extends IdxSetOptions {
  readonly dir?: string;
  readonly searchDirs?: readonly string[];
  readonly fetchImpl?: typeof fetch;
  /** Skip the payload checksum (tests with fixtures). */
  readonly verify?: boolean;
}

/** gunzip, naming the file in errors, then check the payload's SHA-256 when known. */
export function fashionDecoder(verify: boolean): IdxDecoder {
  return (raw, file) => {
    let out: Buffer;
    try {
      out = zlib.gunzipSync(raw);
    } catch (e) {
      throw new Error(`${file}: not a valid gzip file (${(e as Error).message})`);
    }
    const expected = FASHION_SHA256[path.basename(file)];
    if (verify && expected) {
      const actual = createHash('sha256').update(out).digest('hex');
      if (actual !== expected) {
        throw new UserError(`${file}: sha256 checksum mismatch of the decompressed data (got ${actual}, expected ${expected}); delete the file to download it again`);
      }
    }
    return out;
  };
}

async function locate(name: string, opts: FashionOptions): Promise<string> {
  const own = opts.dir ?? path.join(DATA_DIR, 'fashion-mnist');
  for (const d of [own, ...(opts.searchDirs ?? [DEBIAN_DIR])]) {
    const f = path.join(d, name);
    if (fs.existsSync(f)) return f;
  }
  const dest = path.join(own, name);
  await downloadFile(FASHION_URL + name, dest, { label: `Fashion-MNIST ${name}`, fetchImpl: opts.fetchImpl });
  return dest;
}

export async function loadFashionMnist(opts: FashionOptions = {}): Promise<Dataset> {
  const [trainImages, trainLabels, testImages, testLabels] = (await Promise.all(Object.keys(FASHION_SHA256).map((n) => locate(n, opts)))) as [
    string,
    string,
    string,
    string,
  ];
  return loadIdxDataset('fashion-mnist', { trainImages, trainLabels, testImages, testLabels }, opts, fashionDecoder(opts.verify !== false));
}
