/**
 * Add, Sub and Multiply for wasm on large float32 tensors, on the native addon's threads.
 * Only the shapes where an operand is the whole output or one broadcast value (W + c·g,
 * x + α·sign(g), x − x0); one IEEE operation an element, so the values are the stock
 * kernel's bit for bit. Without the addon, below NATIVE_MIN elements (where a thread
 * hand-off costs more than it saves) and for every other case, the stock kernel runs.
 */
import { Add, Multiply, Sub, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { activeNative } from '../native/addon.js';
import { runStock } from './stock.js';
import { asWasmBackend, f32Index, heapF32 } from './wasm-backend.js';

/** Elements from which the addon's two-thread pass beat the stock kernel (Zen 4, 2 cores). */
export const NATIVE_MIN = 1 << 17;

const OPS = { [Add]: 0, [Sub]: 1, [Multiply]: 2 } as const;

function binaryKernel(name: typeof Add | typeof Sub | typeof Multiply): KernelFunc {
  return ({ inputs, backend }) => {
    const wb = asWasmBackend(backend);
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const addon = activeNative();
    const na = util.sizeFromShape(a.shape);
    const nb = util.sizeFromShape(b.shape);
    // The output's shape is the full operand's, unless the single value has more dimensions.
    const full = na >= nb ? a : b;
    const single = na >= nb ? b : a;
    const fits = addon && a.dtype === 'float32' && b.dtype === 'float32' && full.shape.length >= single.shape.length
      && (util.arraysEqual(a.shape, b.shape) || util.sizeFromShape(single.shape) === 1);
    const n = util.sizeFromShape(full.shape);
    if (!fits || n < NATIVE_MIN) return runStock(name, wb, { a, b });
    const out = wb.makeOutput([...full.shape], 'float32');
    addon.binary(heapF32(wb), OPS[name], f32Index(wb, a), na, f32Index(wb, b), nb, n, f32Index(wb, out));
    return out;
  };
}

export const binaryConfigs: KernelConfig[] = ([Add, Sub, Multiply] as const).map((name) => ({
  kernelName: name,
  backendName: 'wasm',
  kernelFunc: binaryKernel(name),
}));
