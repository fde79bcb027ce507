/**
 * Sum for wasm on float32, for the two shapes of reduction lipbench runs:
 *
 * - a leading block of axes (the bias gradient, dy summed over [batch, h, w]). The stock
 *   kernel first moves the reduced axes innermost with its generic Transpose, which
 *   dominates for activation-sized tensors; a column sum over the row-major [rows, cols]
 *   view needs none. Each column adds its rows in double, in order, within fixed row
 *   ranges (one below 256K elements: then it is cpu's sum bit for bit), ranges in order.
 * - a trailing block, or every axis (tf.norm in power iteration, Lanczos and spectral
 *   normalization; L2 attack steps; losses). The stock kernel adds in float, one element
 *   after another: one add's latency per element (25 us for a 25k-element activation on
 *   the 2-core Zen 4 VM), and a float's rounding at every step. Here each row is summed in
 *   double, in fixed chunks of SUM_CHUNK elements, each chunk in 8 lanes (lane l takes
 *   elements l, l + 8, ...; the tail goes to lane 0), lanes added pairwise, chunks in
 *   order, rounded to float once: the addon's sum_inner, and the JavaScript fallback below
 *   in the same order, so both give the same bits. The cpu backend adds in double one
 *   element after another; the two agree unless the float rounding falls within double
 *   rounding of a tie.
 *
 * Other reductions (a middle block of axes, integer tensors) keep the stock kernel.
 */
import { Sum, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, SumAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { activeNative } from '../native/addon.js';
import { runStock } from './stock.js';
import { asWasmBackend, f32Index, heapF32 } from './wasm-backend.js';

/** Elements per chunk of a trailing reduction (native/lipbench_native.cc's SUM_CHUNK). */
export const SUM_CHUNK = 1 << 14;

/** Σ x[off .. off + n) in sum_inner's order (8 double lanes, tail into lane 0, lanes pairwise). */
function sumChunk(x: Float32Array, off: number, n: number): number {
  let l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;
  const end8 = off + (n & ~7);
  let j = off;
  for (; j < end8; j += 8) {
    l0 += x[j]; l1 += x[j + 1]; l2 += x[j + 2]; l3 += x[j + 3];
    l4 += x[j + 4]; l5 += x[j + 5]; l6 += x[j + 6]; l7 += x[j + 7];
  }
  for (; j < off + n; j++) l0 += x[j];
  return ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7));
}

/** out[i] = Σ_j x[i·len + j], in the addon's order (see the file comment). */
export function sumInner(x: Float32Array, xOff: number, rows: number, len: number, out: Float32Array, outOff: number): void {
  for (let r = 0; r < rows; r++) {
    const base = xOff + r * len;
    // A chunk's sum is never −0 (its lanes start at +0), so 0 + the first chunk is that chunk.
    let v = 0;
    for (let c = 0; c < len; c += SUM_CHUNK) v += sumChunk(x, base + c, Math.min(SUM_CHUNK, len - c));
    out[outOff + r] = v;
  }
}

/** Row ranges of a leading reduction: one below 256K elements, else up to 16 of whole 64-row blocks (sum_rows_ranges). */
function rowRanges(rows: number, cols: number): number[] {
  const blocks = Math.ceil(rows / 64);
  const items = rows * cols >= 1 << 18 ? Math.min(blocks, 16) : 1;
  return Array.from({ length: items + 1 }, (_, i) => Math.min(rows, Math.floor((blocks * i) / items) * 64));
}

/** out[j] = Σ_i x[i·cols + j] in the addon's sum_rows order: rows in order within each range, ranges in order. */
export function sumRows(x: Float32Array, xOff: number, rows: number, cols: number, out: Float32Array, outOff: number): void {
  const bounds = rowRanges(rows, cols);
  const total = new Float64Array(cols);
  const acc = new Float64Array(cols);
  for (let t = 0; t + 1 < bounds.length; t++) {
    acc.fill(0);
    for (let r = bounds[t]; r < bounds[t + 1]; r++) {
      const base = xOff + r * cols;
      for (let c = 0; c < cols; c++) acc[c] += x[base + c];
    }
    if (t === 0) total.set(acc);
    else for (let c = 0; c < cols; c++) total[c] += acc[c];
  }
  out.set(total, outOff);
}

const sum: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { x } = inputs as { x: TensorInfo };
  const { axis, keepDims } = attrs as unknown as SumAttrs;
  const rank = x.shape.length;
  const axes = [...util.parseAxisParam(axis, x.shape)].sort((p, q) => p - q);
  const k = axes.length;
  const leading = k > 0 && k < rank && axes.every((ax, i) => ax === i);
  const trailing = k > 0 && axes.every((ax, i) => ax === rank - k + i);
  if (x.dtype !== 'float32' || !(leading || trailing)) return runStock(Sum, wb, { x }, { axis, keepDims });

  const reduced = new Set(axes);
  const outShape = keepDims ? x.shape.map((d, i) => (reduced.has(i) ? 1 : d)) : x.shape.filter((_, i) => !reduced.has(i));
  const out = wb.makeOutput(outShape, 'float32');
  const addon = activeNative();
  const heap = heapF32(wb);
  const src = f32Index(wb, x);
  const dst = f32Index(wb, out);
  if (trailing) {
    const rows = util.sizeFromShape(x.shape.slice(0, rank - k));
    const len = util.sizeFromShape(x.shape.slice(rank - k));
    if (addon) addon.sumInner(heap, src, rows, len, dst);
    else sumInner(heap, src, rows, len, heap, dst);
    return out;
  }
  const rows = util.sizeFromShape(x.shape.slice(0, k));
  const cols = util.sizeFromShape(x.shape.slice(k));
  if (addon) {
    addon.sumRows(heap, src, rows, cols, dst);
    return out;
  }
  sumRows(heap, src, rows, cols, heap, dst);
  return out;
};

export const sumConfig: KernelConfig = {
  kernelName: Sum,
  backendName: 'wasm',
  kernelFunc: sum,
};
