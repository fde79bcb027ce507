/**
 * What lipbench's kernels share when they register: their own kernels (registerMissing),
 * and replacements of a backend's stock kernels (overrideKernel), whose originals stay
 * reachable through stockKernel.
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

const captured = new Map<string, KernelConfig>();

/**
 * A backend's kernel as first seen here, remembered so that once a replacement is
 * registered (or registered again) it is never taken for the stock one.
 */
export function stockKernel(kernelName: string, backendName: string): KernelConfig | undefined {
  const key = `${backendName}/${kernelName}`;
  const seen = captured.get(key);
  if (seen) return seen;
  const cfg = tf.getKernel(kernelName, backendName);
  if (cfg) captured.set(key, cfg);
  return cfg;
}

/**
 * Replaces (or adds) the kernel `config` names on its backend, the stock one captured
 * first. The stock setupFunc is chained because the engine only runs the setup of
 * whichever config is registered when the backend initialises, and the stock kernelFuncs
 * a replacement delegates to may depend on it.
 */
export function overrideKernel(config: KernelConfig): void {
  const { kernelName, backendName } = config;
  const stock = stockKernel(kernelName, backendName);
  if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
  const ownSetup = config.setupFunc;
  const stockSetup = stock?.setupFunc;
  tf.registerKernel({
    ...config,
    setupFunc: (backend) => {
      stockSetup?.(backend);
      ownSetup?.(backend);
    },
  });
}
