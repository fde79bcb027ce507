/**
 * The fused PGD-L∞ step on wasm (see ../linf-step.ts): on the native addon's threads while
 * one is active, else one JavaScript pass over the heap; the same values either way.
 */
import { util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { activeNative } from '../native/addon.js';
import { LINF_STEP, linfStepRange, type LinfStepAttrs } from '../linf-step.js';
import { asWasmBackend, f32Index, heapF32 } from './wasm-backend.js';

const linfStep: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { x, xAdv, g } = inputs as { x: TensorInfo; xAdv: TensorInfo; g: TensorInfo };
  const { stepSize, eps } = attrs as unknown as LinfStepAttrs;
  for (const t of [x, xAdv, g]) {
    if (t.dtype !== 'float32') throw new Error(`L∞ step: float32 tensors expected, got ${t.dtype}`);
    if (!util.arraysEqual(t.shape, x.shape)) throw new Error(`L∞ step: shapes differ, [${x.shape.join(', ')}] and [${t.shape.join(', ')}]`);
  }
  if (!(Math.fround(-eps) < Math.fround(eps))) throw new Error(`L∞ step: eps must be positive, got ${eps}`);
  const n = util.sizeFromShape(x.shape);
  const out = wb.makeOutput([...x.shape], 'float32');
  // After makeOutput: it may have grown (and detached) the heap.
  const heap = heapF32(wb);
  const addon = activeNative();
  if (addon) addon.linfStep(heap, f32Index(wb, x), f32Index(wb, xAdv), f32Index(wb, g), n, stepSize, eps, f32Index(wb, out));
  else linfStepRange(heap, f32Index(wb, x), heap, f32Index(wb, xAdv), heap, f32Index(wb, g), n, stepSize, eps, heap, f32Index(wb, out));
  return out;
};

export const wasmLinfStepConfig: KernelConfig = { kernelName: LINF_STEP, backendName: 'wasm', kernelFunc: linfStep };
