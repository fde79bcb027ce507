/**
 * The fused Adam step on wasm (see ../adam-update.ts): on the native addon while one is
 * active, else one JavaScript pass over the heap.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { activeNative } from '../native/addon.js';
import { ADAM_UPDATE, adamUpdateRange, type AdamUpdateAttrs } from '../adam-update.js';
import { asWasmBackend, f32Index, heapF32 } from './wasm-backend.js';

const adamUpdate: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { w, m, v, g } = inputs as { w: TensorInfo; m: TensorInfo; v: TensorInfo; g: TensorInfo };
  for (const t of [w, m, v, g]) if (t.dtype !== 'float32') throw new Error(`Adam update: float32 tensors expected, got ${t.dtype}`);
  const { params } = attrs as unknown as AdamUpdateAttrs;
  const n = w.shape.reduce((a, b) => a * b, 1);
  const outs = [0, 1, 2].map(() => wb.makeOutput([...w.shape], 'float32'));
  // After the last makeOutput: it may have grown (and detached) the heap.
  const heap = heapF32(wb);
  const [nw, nm, nv] = outs.map((o) => f32Index(wb, o)) as [number, number, number];
  const addon = activeNative();
  if (addon) addon.adamUpdate(heap, f32Index(wb, w), f32Index(wb, m), f32Index(wb, v), f32Index(wb, g), n, Float32Array.from(params), nw, nm, nv);
  else adamUpdateRange(heap, f32Index(wb, w), heap, f32Index(wb, m), heap, f32Index(wb, v), heap, f32Index(wb, g), n, params, heap, nw, heap, nm, heap, nv);
  return outs;
};

export const wasmAdamUpdateConfig: KernelConfig = { kernelName: ADAM_UPDATE, backendName: 'wasm', kernelFunc: adamUpdate };
