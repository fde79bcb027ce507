/**
 * CIFAR-10's binary format: records of 1 label byte + 3072 bytes (1024 R, 1024 G,
 * 1024 B, each row-major 32×32), transposed from channel-planar to NHWC. Parsing only;
 * downloading, checking and extracting the archive is src/node/cifar10.ts's job.
 */
import * as tf from '@tensorflow/tfjs-core';
import { permutation } from '../util/rng.js';
import type { Split } from './types.js';

export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR10_TEST_FILE = 'test_batch.bin';
const RECORD = 1 + 32 * 32 * 3;
const PIXELS = 32 * 32;

const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/** One binary batch file's records: NHWC floats in [0, 1] and labels. */
export interface ParsedCifarBatch {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly n: number;
}

/** Parse concatenated CIFAR records into NHWC floats and labels; `file` names errors. */
export function parseCifarBatch(buf: Uint8Array, file: string): ParsedCifarBatch {
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

/**
 * Concatenated parsed batches as an NHWC split, taking `size` examples (default all) in
 * order, or drawn from a seeded shuffle when `seed` is set; `where` names the batches in errors.
 */
export function cifarSplit(parts: readonly ParsedCifarBatch[], size: number | undefined, seed: number | undefined, where: string): Split {
  const total = parts.reduce((s, p) => s + p.n, 0);
  const k = size ?? total;
  if (k > total) throw new Error(`${where}: requested ${k} examples, the batches hold ${total}`);
  const x = new Float32Array(k * PIXELS * 3);
  const y = new Int32Array(k);
  const order = seed === undefined ? undefined : permutation(total, seed);
  const locate = (i: number): [number, number] => {
    let idx = order ? order[i]! : i;
    for (let p = 0; p < parts.length; p++) {
      if (idx < parts[p]!.n) return [p, idx];
      idx -= parts[p]!.n;
    }
    throw new Error('index out of range');
  };
  for (let i = 0; i < k; i++) {
    const [p, j] = locate(i);
    x.set(parts[p]!.x.subarray(j * PIXELS * 3, (j + 1) * PIXELS * 3), i * PIXELS * 3);
    y[i] = parts[p]!.y[j]!;
  }
  return { x: tf.tensor4d(x, [k, 32, 32, 3]), y: tf.tensor1d(y, 'int32') };
}
