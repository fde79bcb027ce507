/**
 * ClipByValue for wasm on large float32 tensors, on the native addon's threads (every L∞
 * attack step clips three times: the sign, the ε-ball and the box). The addon computes the
 * clamp as the stock XNNPACK kernel does, NaN and signed zeros included (a clamp to
 * [0, +inf) is XNNPACK's ReLU, which keeps a NaN whose sign bit is clear and zeroes one
 * whose sign bit is set), so the values are the stock kernel's bit for bit. Small tensors, equal bounds and every case without the
 * addon run the stock kernel.
 */
import { ClipByValue, util } from '@tensorflow/tfjs-core';
import type { ClipByValueAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { activeNative } from '../native/addon.js';
import { NATIVE_MIN } from './binary.js';
import { runStock } from './stock.js';
import { asWasmBackend, f32Index, heapF32 } from './wasm-backend.js';

const clip: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { x } = inputs as { x: TensorInfo };
  const { clipValueMin, clipValueMax } = attrs as unknown as ClipByValueAttrs;
  const addon = activeNative();
  const n = util.sizeFromShape(x.shape);
  if (!addon || x.dtype !== 'float32' || n < NATIVE_MIN || !(Math.fround(clipValueMin) < Math.fround(clipValueMax))) {
    return runStock(ClipByValue, wb, { x }, { clipValueMin, clipValueMax });
  }
  const out = wb.makeOutput([...x.shape], 'float32');
  addon.clip(heapF32(wb), f32Index(wb, x), n, clipValueMin, clipValueMax, f32Index(wb, out));
  return out;
};

export const clipByValueConfig: KernelConfig = { kernelName: ClipByValue, backendName: 'wasm', kernelFunc: clip };
