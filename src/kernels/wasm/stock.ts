/**
 * Access to the stock wasm kernels. Replacement kernels delegate to the originals for the
 * heavy lifting (XNNPACK GEMM/conv), so the originals are captured before anything is
 * overwritten and stay reachable after re-registration.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import type { WasmBackend } from './wasm-backend.js';

const BACKEND = 'wasm';
const captured = new Map<string, KernelConfig>();

/** The stock config, remembered on first sight so a second registerWasmKernels() cannot capture our own. */
export function stockConfig(kernelName: string): KernelConfig | undefined {
  const seen = captured.get(kernelName);
  if (seen) return seen;
  const cfg = tf.getKernel(kernelName, BACKEND);
  if (cfg) captured.set(kernelName, cfg);
  return cfg;
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

/**
 * Replaces (or adds) a wasm kernel. The stock setupFunc is chained because the engine only
 * runs the setup of whichever config is registered when the backend initialises, and the
 * stock kernelFuncs we delegate to depend on it.
 */
export function overrideKernel(config: KernelConfig): void {
  const stock = stockConfig(config.kernelName);
  if (tf.getKernel(config.kernelName, BACKEND)) tf.unregisterKernel(config.kernelName, BACKEND);
  const ownSetup = config.setupFunc;
  const stockSetup = stock?.setupFunc;
  tf.registerKernel({
    ...config,
    backendName: BACKEND,
    setupFunc: (backend) => {
      stockSetup?.(backend);
      ownSetup?.(backend);
    },
  });
}
