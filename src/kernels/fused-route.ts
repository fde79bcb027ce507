/**
 * Swapping one function of tfjs' `fused` namespace for lipbench's routing (lazy-dense-grad.ts,
 * lazy-conv-grad.ts), and back. The namespace is a plain object in tfjs-core's CommonJS
 * build (what Node loads); where a bundler made it read-only, install reports false and
 * tfjs' op stays.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import { registerMissing } from './register.js';

type Fused = typeof tf.fused;

export interface FusedRoute<K extends keyof Fused> {
  /** Installs the routing once (and the gradients it needs); false when the namespace cannot be written. */
  install(): boolean;
  /** Puts tfjs' own op back (for tests that compare both). */
  uninstall(): void;
  /** tfjs' own op, for the cases the routing leaves to it; only valid while installed. */
  original(): Fused[K];
}

export function fusedRoute<K extends keyof Fused>(key: K, replacement: Fused[K], gradients: readonly tf.GradConfig[]): FusedRoute<K> {
  let original: Fused[K] | undefined;
  const ns = tf.fused as Record<K, Fused[K]>;
  return {
    install() {
      if (original) return true;
      registerMissing([], gradients);
      const before = ns[key];
      try {
        ns[key] = replacement;
      } catch {
        return false;
      }
      if (ns[key] !== replacement) return false;
      original = before;
      return true;
    },
    uninstall() {
      if (!original) return;
      ns[key] = original;
      original = undefined;
    },
    original() {
      if (!original) throw new Error(`tf.fused.${String(key)}: lipbench's routing is not installed`);
      return original;
    },
  };
}

/** The kernel each (copy name, backend) copies, to notice a later re-registration of its source. */
const copied = new Map<string, tf.KernelFunc>();

/**
 * Registers `name` on the current backend as a copy of its current `source` kernel (the
 * routing runs the backend's own kernel under a name whose gradient is lipbench's), and
 * copies again when `source` was registered anew since; false when the backend has none.
 */
export function ensureKernelCopy(name: string, source: string): boolean {
  const backend = tf.getBackend();
  const src = tf.getKernel(source, backend);
  if (!src) return false;
  const key = `${name}\u0000${backend}`;
  const have = tf.getKernel(name, backend);
  if (have && copied.get(key) === src.kernelFunc) return true;
  if (have) tf.unregisterKernel(name, backend);
  tf.registerKernel({ kernelName: name, backendName: backend, kernelFunc: src.kernelFunc });
  copied.set(key, src.kernelFunc);
  return true;
}

/** A fused op's bias gradient as tfjs computes it (getFusedBiasGradient): dy summed over the axes the bias broadcast along. */
export function fusedBiasGradient(biasShape: number[], dy: tf.Tensor): tf.Tensor {
  const axes = backend_util.getReductionAxes(biasShape, dy.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, biasShape);
}
