/**
 * Swapping one function of tfjs' `fused` namespace for lipbench's routing (lazy-dense-grad.ts,
 * lazy-conv-grad.ts), and back. The namespace is a plain object in tfjs-core's CommonJS
 * build (what Node loads); where a bundler made it read-only, install reports false and
 * tfjs' op stays.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';

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
      for (const g of gradients) if (!tf.getGradient(g.kernelName)) tf.registerGradient(g);
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

/** A fused op's bias gradient as tfjs computes it (getFusedBiasGradient): dy summed over the axes the bias broadcast along. */
export function fusedBiasGradient(biasShape: number[], dy: tf.Tensor): tf.Tensor {
  const axes = backend_util.getReductionAxes(biasShape, dy.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, biasShape);
}
