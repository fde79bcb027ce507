/**
 * Empirical lower bounds on the L2 Lipschitz constant of the logit map f, and the
 * certified radii that an upper bound L buys. Every lower bound is a value actually
 * evaluated at points of the input domain, so it can be checked against the upper bound.
 *
 * Gradient bound: for unit u, ‖∇ₓ uᵀf(x)‖ = ‖J(x)ᵀu‖ ≤ ‖J(x)‖₂ ≤ L wherever f is
 * differentiable. ReLU/max-pool nets are differentiable almost everywhere; at exact kinks
 * autodiff picks one-sided derivatives, which the pair bound (pure forward evaluations)
 * does not rely on.
 */
import * as tf from '@tensorflow/tfjs-core';
import { logits } from '../models/logits.js';
import type * as tfl from '@tensorflow/tfjs-layers';
import { tfSeed } from '../util/rng.js';

export interface LowerBoundResult {
  /** The lower bound (0 if nothing was evaluated). */
  readonly value: number;
  /** Index of the example that attained it, −1 if none. */
  readonly index: number;
  /** Number of gradient (or pair) evaluations that entered the max. */
  readonly evaluated: number;
}

export interface GradientLowerBoundOptions {
  /** Examples per forward/backward pass; bounds peak memory. Default 256. */
  readonly batchSize?: number;
  /** Extra random unit directions u per example, besides the margin direction. Default 0. */
  readonly randomDirections?: number;
  /**
   * Steps of ascent on ‖∇ₓ uᵀf(x)‖ per example, inside [0,1]. tfjs cannot differentiate
   * max-pool gradients, so the ascent direction is the finite-difference Hessian-vector
   * product (g(x + h·ĝ) − g(x))/h; in piecewise-linear regions it is 0 and we step along ĝ
   * to reach a new region. Default 0.
   */
  readonly ascentSteps?: number;
  /** L2 length of each ascent step per example. Default 0.05. */
  readonly ascentStepSize?: number;
  /** Finite-difference step h. Default 1e-2. */
  readonly fdStep?: number;
  /** Seed for random directions. Default 0. */
  readonly seed?: number;
}

export interface PairLowerBoundOptions {
  /** Pairs per forward pass (default 256). */
  readonly batchSize?: number;
  /**
   * Pairs closer than this (L2) are skipped: float32 logit noise divided by a tiny
   * distance would produce a ratio that bounds nothing. Default 1e-3.
   */
  readonly minDistance?: number;
}

/** Per-example L2 norm over all non-batch axes. */
function rowNorms(t: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(tf.reshape(t, [t.shape[0], -1])), 1))) as tf.Tensor1D;
}

/** Per-example unit vectors along the flattened non-batch axes (zero rows stay zero). */
function unitRows(t: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const n = rowNorms(t);
    const shape = [t.shape[0], ...t.shape.slice(1).map(() => 1)];
    return tf.div(t, tf.reshape(tf.maximum(n, 1e-30), shape));
  });
}

/** u = (e_y − e_j)/√2 with j the largest logit other than y: the margin direction. */
export function marginDirections(z: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => {
    const k = z.shape[1];
    const ey = tf.oneHot(tf.cast(y, 'int32'), k);
    const masked = tf.sub(z, tf.mul(ey, 1e30));
    const ej = tf.oneHot(tf.argMax(masked, 1), k);
    return tf.div(tf.sub(ey, ej), Math.SQRT2) as tf.Tensor2D;
  });
}

/** ∇ₓ Σ_b u_bᵀ f(x_b): per-example gradients, since examples do not interact in inference. */
function inputGradient(model: tfl.LayersModel, x: tf.Tensor, u: tf.Tensor2D): tf.Tensor {
  return tf.grad((xb: tf.Tensor) => tf.sum(tf.mul(logits(model, xb), u)))(x);
}

function maxWithIndex(vals: Float32Array | Int32Array | Uint8Array): [number, number] {
  let best = -Infinity;
  let at = -1;
  for (let i = 0; i < vals.length; i++) {
    if (vals[i] > best) {
      best = vals[i];
      at = i;
    }
  }
  return [best, at];
}

/**
 * Examples per pass of the bounds below unless told (a [256, 28, 28, 32] activation is
 * 25 MB). 256, not 64: on the default MLP the bounds' time was mostly tfjs' per-op
 * JavaScript, paid once per batch; each example's value does not depend on its batch.
 */
const DEFAULT_BATCH = 256;

function batches(n: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(size, n - s)]);
  return out;
}

/** max over examples (and directions, and ascent iterates) of ‖∇ₓ uᵀf(x)‖₂. */
export function gradientLowerBound(
  model: tfl.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor1D,
  opts: GradientLowerBoundOptions = {},
): LowerBoundResult {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const randomDirections = opts.randomDirections ?? 0;
  const ascentSteps = opts.ascentSteps ?? 0;
  const stepSize = opts.ascentStepSize ?? 0.05;
  const h = opts.fdStep ?? 1e-2;
  let seed = opts.seed ?? 0;
  if (x.shape[0] !== y.shape[0]) throw new Error(`gradientLowerBound: ${x.shape[0]} inputs but ${y.shape[0]} labels`);

  let value = 0;
  let index = -1;
  let evaluated = 0;
  const consider = (norms: tf.Tensor1D, offset: number): void => {
    const vals = norms.dataSync();
    norms.dispose();
    const [best, at] = maxWithIndex(vals);
    evaluated += vals.length;
    if (at >= 0 && best > value) {
      value = best;
      index = offset + at;
    }
  };

  for (const [start, size] of batches(x.shape[0], batchSize)) {
    let xb = tf.tidy(() => tf.slice(x, start, size));
    const yb = tf.slice(y, start, size);
    try {
      for (let step = 0; step <= ascentSteps; step++) {
        const cur = xb;
        const [norms, next] = tf.tidy(() => {
          const u = marginDirections(logits(model, cur), yb);
          const g = inputGradient(model, cur, u);
          const n = rowNorms(g);
          if (step === ascentSteps) return [n, undefined];
          const gHat = unitRows(g);
          const g2 = inputGradient(model, tf.add(cur, tf.mul(gHat, h)), u);
          const hv = tf.div(tf.sub(g2, g), h);
          // Where the Hessian-vector product vanishes (inside a linear region), move along ĝ.
          const mask = tf.reshape(tf.cast(tf.greater(rowNorms(hv), 1e-6), 'float32'), [size, ...cur.shape.slice(1).map(() => 1)]);
          const dir = tf.add(tf.mul(mask, unitRows(hv)), tf.mul(tf.sub(1, mask), gHat));
          return [n, tf.clipByValue(tf.add(cur, tf.mul(dir, stepSize)), 0, 1)];
        });
        consider(norms as tf.Tensor1D, start);
        if (next) {
          cur.dispose();
          xb = next;
        }
      }
      for (let r = 0; r < randomDirections; r++) {
        const s = seed++;
        const norms = tf.tidy(() => {
          const k = logits(model, tf.slice(xb, 0, 1)).shape[1];
          const u = unitRows(tf.randomNormal([size, k], 0, 1, 'float32', tfSeed(s))) as tf.Tensor2D;
          return rowNorms(inputGradient(model, xb, u));
        });
        consider(norms, start);
      }
    } finally {
      xb.dispose();
      yb.dispose();
    }
  }
  return { value, index, evaluated };
}

/** max ‖f(x′)−f(x)‖₂/‖x′−x‖₂ over pairs (x_i, x′_i) with ‖x′−x‖ ≥ minDistance. */
export function pairLowerBound(model: tfl.LayersModel, x: tf.Tensor, xAdv: tf.Tensor, opts: PairLowerBoundOptions = {}): LowerBoundResult {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const minDistance = opts.minDistance ?? 1e-3;
  if (x.shape.join() !== xAdv.shape.join()) throw new Error(`pairLowerBound: shapes [${x.shape}] and [${xAdv.shape}] differ`);
  let value = 0;
  let index = -1;
  let evaluated = 0;
  for (const [start, size] of batches(x.shape[0], batchSize)) {
    const both = tf.tidy(() => {
      const a = tf.slice(x, start, size);
      const b = tf.slice(xAdv, start, size);
      const dx = rowNorms(tf.sub(b, a));
      const df = rowNorms(tf.sub(logits(model, b), logits(model, a)));
      return tf.stack([dx, df]);
    });
    const vals = both.dataSync();
    both.dispose();
    for (let i = 0; i < size; i++) {
      const dx = vals[i];
      const df = vals[size + i];
      if (!(dx >= minDistance)) continue;
      evaluated++;
      const ratio = df / dx;
      if (ratio > value) {
        value = ratio;
        index = start + i;
      }
    }
  }
  return { value, index, evaluated };
}

/**
 * Per-example certified L2 radius margin/(√2·L), with margin = f_y − max_{j≠y} f_j and
 * 0 for misclassified points. Why √2: f_y − f_j = (e_y − e_j)ᵀf is √2·L-Lipschitz.
 */
export function certifiedRadii(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor1D, L: number, opts: { batchSize?: number } = {}): number[] {
  if (!(L > 0) || !Number.isFinite(L)) throw new Error(`certifiedRadii: L must be a positive finite number, got ${L}`);
  if (x.shape[0] !== y.shape[0]) throw new Error(`certifiedRadii: ${x.shape[0]} inputs but ${y.shape[0]} labels`);
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const radii: number[] = [];
  for (const [start, size] of batches(x.shape[0], batchSize)) {
    const margins = tf.tidy(() => {
      const z = logits(model, tf.slice(x, start, size));
      const ey = tf.oneHot(tf.cast(tf.slice(y, start, size), 'int32'), z.shape[1]);
      const fy = tf.sum(tf.mul(z, ey), 1);
      const other = tf.max(tf.sub(z, tf.mul(ey, 1e30)), 1);
      return tf.sub(fy, other);
    });
    for (const m of margins.dataSync()) radii.push(m > 0 ? m / (Math.SQRT2 * L) : 0);
    margins.dispose();
  }
  return radii;
}

/**
 * Fraction of ALL points certified at each ε: radius > ε. Misclassified points have
 * radius 0 and so never count, also at ε = 0. Strict inequality keeps the closed
 * ε-ball inside the certified open ball (a tie at exactly the radius is not robust).
 */
export function certifiedAccuracy(radii: ArrayLike<number>, epsList: readonly number[]): number[] {
  const n = radii.length;
  return epsList.map((eps) => {
    if (n === 0) return 0;
    let c = 0;
    for (let i = 0; i < n; i++) if (radii[i] > eps) c++;
    return c / n;
  });
}
