/**
 * Sum for wasm when reducing a leading block of axes (e.g. the bias gradient, dy summed over
 * [batch, h, w]). The stock kernel first moves the reduced axes innermost with its generic
 * Transpose, which dominates for activation-sized tensors; a column sum over the row-major
 * [rows, cols] view needs no transpose. Other reductions keep the stock kernel.
 */
import { Sum, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, SumAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { activeNative } from '../native/addon.js';
import { runStock } from './stock.js';
import { asWasmBackend, f32Index, heapF32 } from './wasm-backend.js';

const sum: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { x } = inputs as { x: TensorInfo };
  const { axis, keepDims } = attrs as unknown as SumAttrs;
  const axes = [...util.parseAxisParam(axis, x.shape)].sort((p, q) => p - q);
  const k = axes.length;
  const leadingBlock = k > 0 && k < x.shape.length && axes.every((ax, i) => ax === i);
  if (x.dtype !== 'float32' || !leadingBlock) return runStock(Sum, wb, { x }, { axis, keepDims });

  const rows = util.sizeFromShape(x.shape.slice(0, k));
  const cols = util.sizeFromShape(x.shape.slice(k));
  const outShape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...x.shape.slice(k)] : x.shape.slice(k);
  const out = wb.makeOutput(outShape, 'float32');
  const addon = activeNative();
  if (addon) {
    addon.sumRows(heapF32(wb), f32Index(wb, x), rows, cols, f32Index(wb, out));
    return out;
  }
  const heap = heapF32(wb);
  const src = f32Index(wb, x);
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = src + r * cols;
    for (let c = 0; c < cols; c++) acc[c] += heap[base + c];
  }
  heap.set(acc, f32Index(wb, out));
  return out;
};

export const sumConfig: KernelConfig = {
  kernelName: Sum,
  backendName: 'wasm',
  kernelFunc: sum,
};
