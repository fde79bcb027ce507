/**
 * Operator-agnostic power iteration (the deel-lip pattern): the caller supplies a
 * linear map `op` and its adjoint, so dense layers, convolutions at their real input
 * shape, pooling, or any future layer share one estimator.
 *
 * What the number means: after each step `v` is a unit vector and we report
 * σ̂ = sqrt(‖AᵀA v‖). By Cauchy–Schwarz ‖Av‖² ≤ ‖AᵀAv‖ ≤ σ_max², so σ̂ is always a
 * *lower* estimate of σ_max, and the tighter of the two usual ones. Upper bounds built
 * from σ̂ are only as good as its convergence, so callers must run it to convergence
 * from a fresh random start and report `relChange`. Note that a small per-step change
 * does not bound the remaining error when the top two singular values are close: with
 * ratio q = (σ₂/σ₁)² per step the remaining error is about relChange/(1−q).
 */
import * as tf from '@tensorflow/tfjs-core';
import { powerStep } from '../linalg/power-step.js';
import { tfSeed } from '../util/rng.js';
import { lanczosSigma } from './lanczos.js';
import type { LinearOp, PowerIterationResult } from './linear-op.js';

export type { LinearOp, PowerIterationResult } from './linear-op.js';

/** The Krylov basis is kept in memory; 300 vectors suffice for the spectra seen here. */
const LANCZOS_MAX_BASIS = 300;


export interface PowerIterationOptions {
  /** Hard cap on op+adjoint evaluations. Default 500. */
  readonly maxIters?: number;
  /** Stop when |σ̂ₖ − σ̂ₖ₋₁| / σ̂ₖ < tol. Default 1e-6 (float32 noise is ~1e-7). */
  readonly tol?: number;
  /** Seed of the Gaussian start vector; omitted means a fresh random seed per call. */
  readonly seed?: number;
  /**
   * Read the scalar back from the backend only every `checkEvery` iterations. Each read
   * is a sync point; on the synchronous cpu/wasm backends it costs little. Default 1.
   */
  readonly checkEvery?: number;
  /**
   * `lanczos` (default): Krylov refinement of the same op/adjoint calls, robust to
   * clusters of near-equal top singular values (see lanczos.ts). `power`: the plain
   * method, e.g. to show its convergence.
   */
  readonly method?: 'lanczos' | 'power';
}

export const POWER_ITERATION_DEFAULTS = { maxIters: 500, tol: 1e-6, checkEvery: 1 } as const;

// Guards the normalisation against a zero operator (σ = 0) without biasing σ̂.
const TINY = 1e-30;

function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

export function powerIteration(
  op: LinearOp,
  adjoint: LinearOp,
  inputShape: readonly number[],
  opts: PowerIterationOptions = {},
): PowerIterationResult {
  const maxIters = opts.maxIters ?? POWER_ITERATION_DEFAULTS.maxIters;
  const tol = opts.tol ?? POWER_ITERATION_DEFAULTS.tol;
  const checkEvery = Math.max(1, Math.floor(opts.checkEvery ?? POWER_ITERATION_DEFAULTS.checkEvery));
  if (!(maxIters >= 1)) throw new Error(`powerIteration: maxIters must be ≥ 1, got ${maxIters}`);
  const seed = opts.seed ?? freshSeed();
  if ((opts.method ?? 'lanczos') === 'lanczos') return lanczosSigma(op, adjoint, inputShape, { maxIters: Math.min(maxIters, LANCZOS_MAX_BASIS), tol, seed });

  let v: tf.Tensor = tf.tidy(() => {
    const r = tf.randomNormal([...inputShape], 0, 1, 'float32', tfSeed(seed));
    return tf.div(r, tf.maximum(tf.norm(r), TINY));
  });
  let prev: tf.Scalar | undefined;
  let sigma = 0;
  let relChange = Number.POSITIVE_INFINITY;
  let iterations = 0;
  try {
    for (let it = 1; it <= maxIters; it++) {
      const [next, s, rel] = tf.tidy(() => {
        const { next: w, norm: n } = powerStep(op, adjoint, v, TINY);
        const sNew = tf.sqrt(n) as tf.Scalar;
        const r = prev === undefined ? tf.scalar(Number.POSITIVE_INFINITY) : tf.div(tf.abs(tf.sub(sNew, prev)), tf.maximum(sNew, TINY));
        return [tf.reshape(w, v.shape), sNew, r] as [tf.Tensor, tf.Scalar, tf.Scalar];
      });
      v.dispose();
      v = next;
      prev?.dispose();
      prev = s;
      iterations = it;
      const isCheck = it % checkEvery === 0 || it === maxIters;
      if (isCheck) {
        // One read of two numbers; rel stays a tensor otherwise.
        const both = tf.tidy(() => tf.stack([s, rel]));
        const vals = both.dataSync();
        both.dispose();
        sigma = vals[0];
        relChange = vals[1];
        if (!Number.isFinite(sigma)) throw new Error(`powerIteration: σ̂ became ${sigma} at iteration ${it}`);
      }
      rel.dispose();
      if (isCheck && (relChange < tol || sigma === 0)) break;
    }
  } finally {
    v.dispose();
    prev?.dispose();
  }
  if (sigma === 0) relChange = 0;
  return { sigma, iterations, relChange, converged: relChange < tol };
}

/** σ_max of a matrix, by the same estimator (x ↦ x·W, y ↦ y·Wᵀ). */
export function matrixSpectralNorm(W: tf.Tensor2D, opts: PowerIterationOptions = {}): PowerIterationResult {
  if (W.rank !== 2) throw new Error(`matrixSpectralNorm: expected a rank-2 tensor, got shape [${W.shape}]`);
  const [rows, cols] = W.shape;
  // Iterate in the smaller space: same singular values, cheaper vectors.
  if (cols < rows) {
    return powerIteration(
      (y) => tf.matMul(y as tf.Tensor2D, W, false, true),
      (x) => tf.matMul(x as tf.Tensor2D, W),
      [1, cols],
      opts,
    );
  }
  return powerIteration(
    (x) => tf.matMul(x as tf.Tensor2D, W),
    (y) => tf.matMul(y as tf.Tensor2D, W, false, true),
    [1, rows],
    opts,
  );
}

/**
 * The adjoint of any linear op as a vector–Jacobian product: ∇ₓ⟨op(x), y⟩ = opᵀy.
 * Exactly as good as the backend's registered gradients: tfjs' AvgPool gradient with
 * 'same' padding divides clipped edge windows by k² while the forward divides by the
 * clipped count, so it is NOT the adjoint there, and tfjs has no gradient for dilated
 * conv. Check any use against an explicit matrix. Costs one forward + one backward.
 */
export function vjpAdjoint(op: LinearOp, inputShape: readonly number[]): LinearOp {
  return (y: tf.Tensor) => {
    const x0 = tf.zeros([...inputShape]);
    try {
      return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(op(x), y)))(x0);
    } finally {
      x0.dispose();
    }
  };
}
