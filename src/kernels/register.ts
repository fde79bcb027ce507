/**
 * What lipbench's own kernels share when they register (kernels that replace a stock wasm
 * one go through wasm/stock.ts's overrideKernel instead).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';

/** The two KernelBackend methods the cpu kernels use (the KernelFunc typing leaves backend untyped). */
export interface SyncBackend {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

/** Registers each kernel and gradient that has none yet (a user's or a later tfjs' own stays). */
export function registerMissing(kernels: readonly KernelConfig[], gradients: readonly GradConfig[] = []): void {
  for (const cfg of kernels) if (!tf.getKernel(cfg.kernelName, cfg.backendName)) tf.registerKernel(cfg);
  for (const cfg of gradients) if (!tf.getGradient(cfg.kernelName)) tf.registerGradient(cfg);
}
