/**
 * Access to the stock wasm kernels. Replacement kernels delegate to the originals for the
 * heavy lifting (XNNPACK GEMM/conv); register.ts captures the originals before anything
 * is overwritten (overrideKernel), so they stay reachable after re-registration.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { stockKernel } from '../register.js';
import type { WasmBackend } from './wasm-backend.js';

/** The stock wasm config (see stockKernel). */
export function stockConfig(kernelName: string): KernelConfig | undefined {
  return stockKernel(kernelName, 'wasm');
}

/** Runs a stock wasm kernel directly; the result is owned by the caller. */
export function runStock(
  kernelName: string,
  backend: WasmBackend,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown> = {},
): TensorInfo {
  const cfg = stockConfig(kernelName);
  if (!cfg) throw new Error(`wasm backend has no ${kernelName} kernel`);
  const out = cfg.kernelFunc({
    inputs,
    attrs: attrs as NamedAttrMap,
    backend: backend as unknown as tf.KernelBackend,
  });
  if (Array.isArray(out)) throw new Error(`${kernelName} returned several outputs`);
  return out;
}
