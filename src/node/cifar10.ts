/**
 * CIFAR-10, binary version, from its official home page. The archive is downloaded
 * once into `data/cifar-10/`, verified against its published MD5, and extracted with
 * the `tar` package; the records are parsed by src/data/cifar10.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, cifarSplit, parseCifarBatch } from '../data/cifar10.js';
import type { Dataset, Split } from '../data/types.js';
import { DATA_DIR } from './paths.js';
import { downloadFile, verifyChecksum } from './download.js';

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
export const CIFAR10_ARCHIVE = 'cifar-10-binary.tar.gz';
const INNER_DIR = 'cifar-10-batches-bin';

export interface Cifar10Options {
  readonly trainSize?: number;
  readonly testSize?: number;
  readonly shuffleSeed?: number;
  /** Cache folder (default `data/cifar-10` in the project). */
  readonly dir?: string;
  /** Expected archive MD5 (tests pass their fixture's). */
  readonly md5?: string;
  readonly url?: string;
  readonly fetchImpl?: typeof fetch;
  readonly progress?: boolean;
}

/** Make sure the extracted batches exist: extract the cached archive, downloading it first if needed. */
export async function ensureCifar10(opts: Cifar10Options = {}): Promise<string> {
  const dir = opts.dir ?? path.join(DATA_DIR, 'cifar-10');
  const inner = path.join(dir, INNER_DIR);
  if ([...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].every((f) => fs.existsSync(path.join(inner, f)))) return inner;
  const archive = path.join(dir, CIFAR10_ARCHIVE);
  if (!fs.existsSync(archive)) {
    await downloadFile(opts.url ?? CIFAR10_URL, archive, { label: 'CIFAR-10', progress: opts.progress, fetchImpl: opts.fetchImpl });
  }
  verifyChecksum(archive, 'md5', opts.md5 ?? CIFAR10_MD5, 'CIFAR-10');
  // Extract beside, then move into place, so a crash mid-extraction is never mistaken for a complete set.
  const staging = fs.mkdtempSync(path.join(dir, '.extract-'));
  try {
    await tar.x({ file: archive, cwd: staging });
    const extracted = path.join(staging, INNER_DIR);
    for (const f of [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE]) {
      if (!fs.existsSync(path.join(extracted, f))) throw new Error(`${archive}: archive has no ${INNER_DIR}/${f}`);
    }
    fs.rmSync(inner, { recursive: true, force: true });
    fs.renameSync(extracted, inner);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return inner;
}

function splitFrom(files: string[], size: number | undefined, seed: number | undefined): Split {
  const parts = files.map((f) => parseCifarBatch(fs.readFileSync(f), f));
  return cifarSplit(parts, size, seed, path.dirname(files[0]!));
}

export async function loadCifar10(opts: Cifar10Options = {}): Promise<Dataset> {
  const inner = await ensureCifar10(opts);
  const train = splitFrom(CIFAR10_TRAIN_FILES.map((f) => path.join(inner, f)), opts.trainSize, opts.shuffleSeed);
  const test = splitFrom([path.join(inner, CIFAR10_TEST_FILE)], opts.testSize, opts.shuffleSeed);
  return { name: 'cifar10', train, test, imageShape: [32, 32, 3], numClasses: 10 };
}
