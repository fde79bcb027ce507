/**
 * MaxMin and its gradient on wasm (see ../max-min.ts): on the native addon while one is
 * active (threaded), else one JavaScript pass over the wasm heap.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { activeNative } from '../native/addon.js';
import { MAX_MIN, MAX_MIN_GRAD, maxMinGradRows, maxMinRows, maxMinRowsOf } from '../max-min.js';
import { asWasmBackend, f32Index, heapF32 } from './wasm-backend.js';

function checkFloat(...ts: TensorInfo[]): void {
  for (const t of ts) if (t.dtype !== 'float32') throw new Error(`MaxMin: float32 input expected, got ${t.dtype}`);
}

const maxMin: KernelFunc = ({ inputs, backend }) => {
  const wb = asWasmBackend(backend);
  const { x } = inputs as { x: TensorInfo };
  checkFloat(x);
  const { rows, c } = maxMinRowsOf(x.shape);
  const out = wb.makeOutput([...x.shape], 'float32');
  const heap = heapF32(wb);
  const addon = activeNative();
  if (addon) addon.maxMin(heap, f32Index(wb, x), rows, c, f32Index(wb, out));
  else maxMinRows(heap, f32Index(wb, x), rows, c, heap, f32Index(wb, out));
  return out;
};

const maxMinGrad: KernelFunc = ({ inputs, backend }) => {
  const wb = asWasmBackend(backend);
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  checkFloat(x, dy);
  const { rows, c } = maxMinRowsOf(x.shape);
  const out = wb.makeOutput([...x.shape], 'float32');
  const heap = heapF32(wb);
  const addon = activeNative();
  if (addon) addon.maxMinGrad(heap, f32Index(wb, x), f32Index(wb, dy), rows, c, f32Index(wb, out));
  else maxMinGradRows(heap, f32Index(wb, x), heap, f32Index(wb, dy), rows, c, heap, f32Index(wb, out));
  return out;
};

export const wasmMaxMinConfig: KernelConfig = { kernelName: MAX_MIN, backendName: 'wasm', kernelFunc: maxMin };
export const wasmMaxMinGradConfig: KernelConfig = { kernelName: MAX_MIN_GRAD, backendName: 'wasm', kernelFunc: maxMinGrad };
