/** BatchMatMul for wasm that keeps transposed and batched products on XNNPACK (see mat-mul-core). */
import { BatchMatMul } from '@tensorflow/tfjs-core';
import type { BatchMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { fastMatMul } from './mat-mul-core.js';
import { runStock } from './stock.js';
import { asWasmBackend } from './wasm-backend.js';

const batchMatMul: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
  // Non-float dtypes keep the stock behaviour (which rejects them with its own message).
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    return runStock(BatchMatMul, wb, { a, b }, { transposeA, transposeB });
  }
  return fastMatMul(wb, a, b, transposeA, transposeB);
};

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMul,
};
