/**
 * The power-iteration step, written once for every user: σ_max measurement
 * (lipschitz/power-iteration.ts), the spectral penalty and projection
 * (regularizers/spectral.ts, spectral-projection.ts), the spectral-normalized layers
 * (models/spectral-layers.ts) and the certified-training tracker
 * (regularizers/lipschitz-tracker.ts). A map is given as `apply` and its adjoint, so
 * dense kernels, reshaped conv kernels and convolutions at their real input shape share it.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Added to a norm before dividing by it, so a zero vector stays finite (0, not NaN). */
export const NORMALIZE_EPS = 1e-12;

/** t / (‖t‖₂ + eps). */
export function l2normalize<T extends tf.Tensor>(t: T, eps = NORMALIZE_EPS): T {
  return tf.div(t, tf.add(tf.norm(t), eps)) as T;
}

/**
 * One step q ← AᵀA q / ‖AᵀA q‖ with A = `apply`, Aᵀ = `adjoint`; also returns ‖AᵀA q‖,
 * which is σ_max² in the limit for a unit q. Run it inside tf.tidy.
 */
export function powerStep(apply: (x: tf.Tensor) => tf.Tensor, adjoint: (y: tf.Tensor) => tf.Tensor, q: tf.Tensor, eps = NORMALIZE_EPS): { next: tf.Tensor; norm: tf.Scalar } {
  const w = adjoint(apply(q));
  if (w.size !== q.size) throw new Error(`power step: adjoint returned shape [${w.shape}] for input shape [${q.shape}]`);
  const norm = tf.norm(w) as tf.Scalar;
  return { next: tf.div(w, tf.add(norm, eps)), norm };
}

/** `iters` power steps from q (for vectors kept across training steps). Run it inside tf.tidy. */
export function powerSteps(apply: (x: tf.Tensor) => tf.Tensor, adjoint: (y: tf.Tensor) => tf.Tensor, q: tf.Tensor, iters: number): tf.Tensor {
  let out = q;
  for (let i = 0; i < iters; i++) out = powerStep(apply, adjoint, out).next;
  return out;
}

// A type alias (not an interface) so it is assignable to tf.TensorContainer.
export type SingularPair = {
  u: tf.Tensor2D; // [m, 1]
  v: tf.Tensor2D; // [n, 1]
};

/**
 * The matrix form that keeps both singular vectors, for σ = uᵀWv (Yoshida & Miyato 2017):
 * v ← normalize(Wᵀu), u ← normalize(Wv), `iters` times; returns new kept tensors.
 */
export function matrixPowerSteps(w: tf.Tensor2D, u: tf.Tensor2D, iters: number): SingularPair {
  return tf.tidy(() => {
    let uu = u;
    let vv: tf.Tensor2D = u;
    for (let i = 0; i < iters; i++) {
      vv = l2normalize(tf.matMul(w, uu, true, false));
      uu = l2normalize(tf.matMul(w, vv));
    }
    return { u: uu, v: vv };
  });
}
