/**
 * A minimal PNG encoder (8-bit greyscale, no interlace, filter 0 per row, zlib from
 * node) and the sample grid: N images of h×w in [0,1] tiled rows×cols with a dark gap.
 * PNG spec: https://www.w3.org/TR/png/ (signature, IHDR, IDAT, IEND, CRC-32 per chunk).
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Encodes an 8-bit greyscale image (row-major, one byte per pixel). */
export function encodePngGray(width: number, height: number, pixels: Uint8Array): Uint8Array {
  if (pixels.length !== width * height) throw new Error(`encodePngGray: ${pixels.length} pixels for ${width}×${height}`);
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // colour type: greyscale
  // compression, filter, interlace: 0
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter type None
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  const parts = [
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    chunk('IHDR', ihdr),
    chunk('IDAT', new Uint8Array(deflateSync(raw))),
    chunk('IEND', new Uint8Array()),
  ];
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export interface Grid {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

/**
 * Tiles the first rows·cols images (values in [0,1], [N,h,w] row-major, one channel)
 * into one greyscale picture with `gap` pixels of background between and around them.
 * Upscaled by `scale` (nearest) so a 28×28 digit is visible at a glance.
 */
export function sampleGrid(images: ArrayLike<number>, h: number, w: number, rows: number, cols: number, opts: { gap?: number; scale?: number; background?: number } = {}): Grid {
  const gap = opts.gap ?? 2;
  const scale = opts.scale ?? 2;
  const bg = opts.background ?? 40;
  const count = Math.min(rows * cols, Math.floor(images.length / (h * w)));
  const width = cols * (w * scale + gap) + gap;
  const height = rows * (h * scale + gap) + gap;
  const pixels = new Uint8Array(width * height).fill(bg);
  for (let k = 0; k < count; k++) {
    const r = Math.floor(k / cols);
    const c = k % cols;
    const x0 = gap + c * (w * scale + gap);
    const y0 = gap + r * (h * scale + gap);
    for (let y = 0; y < h * scale; y++) {
      for (let x = 0; x < w * scale; x++) {
        const v = images[k * h * w + Math.floor(y / scale) * w + Math.floor(x / scale)]!;
        pixels[(y0 + y) * width + x0 + x] = Math.round(Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * 255);
      }
    }
  }
  return { width, height, pixels };
}
