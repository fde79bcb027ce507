/**
 * CIFAR-10, binary version, from its official home page. The archive is downloaded
 * once into `data/cifar-10/`, verified against its published MD5, and extracted with
 * the `tar` package. Records are 1 label byte + 3072 bytes (1024 R, 1024 G, 1024 B,
 * each row-major 32×32); we transpose the channel-planar layout to NHWC.
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { DATA_DIR } from '../node/paths.js';
import { downloadFile, verifyChecksum } from '../node/download.js';
import { permutation } from '../util/rng.js';
import type { Dataset, Split } from './types.js';

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';
export const CIFAR10_ARCHIVE = 'cifar-10-binary.tar.gz';
const INNER_DIR = 'cifar-10-batches-bin';
const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const TEST_FILE = 'test_batch.bin';
const RECORD = 1 + 32 * 32 * 3;
const PIXELS = 32 * 32;

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

const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/** Parse concatenated CIFAR records into NHWC floats and labels; `file` names errors. */
export function parseCifarBatch(buf: Uint8Array, file: string): { x: Float32Array; y: Int32Array; n: number } {
  if (buf.length === 0 || buf.length % RECORD !== 0) {
    throw new Error(`${file}: truncated or not a CIFAR-10 batch: ${buf.length} bytes is not a whole number of ${RECORD}-byte records`);
  }
  const n = buf.length / RECORD;
  const x = new Float32Array(n * PIXELS * 3);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const off = i * RECORD;
    const label = buf[off]!;
    if (label > 9) throw new Error(`${file}: record ${i} has label ${label}, expected 0-9`);
    y[i] = label;
    const dst = i * PIXELS * 3;
    for (let p = 0; p < PIXELS; p++) {
      x[dst + 3 * p] = BYTE_TO_UNIT[buf[off + 1 + p]!]!;
      x[dst + 3 * p + 1] = BYTE_TO_UNIT[buf[off + 1 + PIXELS + p]!]!;
      x[dst + 3 * p + 2] = BYTE_TO_UNIT[buf[off + 1 + 2 * PIXELS + p]!]!;
    }
  }
  return { x, y, n };
}

/** Make sure the extracted batches exist: extract the cached archive, downloading it first if needed. */
export async function ensureCifar10(opts: Cifar10Options = {}): Promise<string> {
  const dir = opts.dir ?? path.join(DATA_DIR, 'cifar-10');
  const inner = path.join(dir, INNER_DIR);
  if ([...TRAIN_FILES, TEST_FILE].every((f) => fs.existsSync(path.join(inner, f)))) return inner;
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
    for (const f of [...TRAIN_FILES, TEST_FILE]) {
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
  const total = parts.reduce((s, p) => s + p.n, 0);
  const k = size ?? total;
  if (k > total) throw new Error(`${path.dirname(files[0]!)}: requested ${k} examples, the batches hold ${total}`);
  const x = new Float32Array(k * PIXELS * 3);
  const y = new Int32Array(k);
  const order = seed === undefined ? undefined : permutation(total, seed);
  const where = (i: number): [number, number] => {
    let idx = order ? order[i]! : i;
    for (let p = 0; p < parts.length; p++) {
      if (idx < parts[p]!.n) return [p, idx];
      idx -= parts[p]!.n;
    }
    throw new Error('index out of range');
  };
  for (let i = 0; i < k; i++) {
    const [p, j] = where(i);
    x.set(parts[p]!.x.subarray(j * PIXELS * 3, (j + 1) * PIXELS * 3), i * PIXELS * 3);
    y[i] = parts[p]!.y[j]!;
  }
  return { x: tf.tensor4d(x, [k, 32, 32, 3]), y: tf.tensor1d(y, 'int32') };
}

export async function loadCifar10(opts: Cifar10Options = {}): Promise<Dataset> {
  const inner = await ensureCifar10(opts);
  const train = splitFrom(TRAIN_FILES.map((f) => path.join(inner, f)), opts.trainSize, opts.shuffleSeed);
  const test = splitFrom([path.join(inner, TEST_FILE)], opts.testSize, opts.shuffleSeed);
  return { name: 'cifar10', train, test, imageShape: [32, 32, 3], numClasses: 10 };
}
