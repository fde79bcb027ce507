/**
 * Shared maths for the ε-balls (CleverHans' functional core): every attack and
 * `runAttack` use these so that the geometry is written, and tested, once.
 * All norms are per example, over every axis but the batch axis.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Norm } from './types.js';
import { tfSeed } from '../util/rng.js';
import { LINF_STEP } from '../kernels/linf-step.js';

/** Guards divisions by a norm; far below any gradient or perturbation we care about. */
const TINY = 1e-12;

const FEATURE_AXES = [1, 2, 3];

/** ‖v_i‖₂ per example, shaped [N,1,1,1] so it broadcasts back over v. */
export function l2NormPerExample(v: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(v), FEATURE_AXES, true)) as tf.Tensor4D);
}

/** ‖v_i‖∞ per example, shaped [N,1,1,1]. */
export function linfNormPerExample(v: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.max(tf.abs(v), FEATURE_AXES, true) as tf.Tensor4D);
}

/** Per-example norm as a flat [N] tensor, in the given norm. */
export function normPerExample(v: tf.Tensor4D, norm: Norm): tf.Tensor1D {
  return tf.tidy(() =>
    tf.reshape(norm === 'linf' ? linfNormPerExample(v) : l2NormPerExample(v), [v.shape[0]]) as tf.Tensor1D,
  );
}

/** Projection of δ onto the L∞ ball of radius ε: coordinate-wise clipping. */
export function projectLinf(delta: tf.Tensor4D, eps: number): tf.Tensor4D {
  return tf.clipByValue(delta, -eps, eps);
}

/**
 * Projection of δ onto the L2 ball of radius ε: rescale only the examples outside
 * it. The guard makes δ = 0 map to 0 (also for ε = 0) instead of 0/0 = NaN.
 */
export function projectL2(delta: tf.Tensor4D, eps: number): tf.Tensor4D {
  return tf.tidy(() => {
    const n = l2NormPerExample(delta);
    const factor = tf.minimum(1, tf.div(eps, tf.maximum(n, TINY)));
    return tf.mul(delta, factor) as tf.Tensor4D;
  });
}

/** CleverHans' name: clip the perturbation η to the ε-ball of `norm`. */
export function clipEta(delta: tf.Tensor4D, norm: Norm, eps: number): tf.Tensor4D {
  return norm === 'linf' ? projectLinf(delta, eps) : projectL2(delta, eps);
}

/**
 * g / ‖g‖₂ per example (the L2 steepest-ascent direction). Examples with zero
 * gradient stay zero rather than becoming NaN.
 */
export function normalizeL2(g: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.div(g, tf.maximum(l2NormPerExample(g), TINY)) as tf.Tensor4D);
}

/**
 * sign(v) with no threshold: +1 where v > 0, −1 where v < 0, 0 only where v is exactly
 * 0 (NaN stays NaN, and runAttack resets it). `tf.sign` cannot be used for attack
 * steps: the wasm backend's kernel returns 0 for every |v| < FLT_EPSILON (1.19e-7), and
 * the input gradients of confident points are exactly that small, so the L∞ step
 * silently vanished there.
 *
 * Computed as clip(v·2¹²⁷·2¹²⁷, −1, 1): the smallest float32 subnormal (2⁻¹⁴⁹) times
 * 2²⁵⁴ is 2¹⁰⁵, so every non-zero value saturates to exactly ±1 (large ones via ±∞).
 * Not comparisons: stock wasm's Greater/Less take 30× as long as a Mul (2 ms vs 0.07
 * ms on a 256-image MNIST batch), and this runs at every step of every L∞ attack.
 */
export function exactSign<T extends tf.Tensor>(v: T): T {
  return tf.tidy(() => tf.clipByValue(tf.mul(tf.mul(v, 2 ** 127), 2 ** 127), -1, 1) as T);
}

/** The L∞ steepest-ascent direction: the exact sign of g, zero only where g is zero. */
export function normalizeLinf(g: tf.Tensor4D): tf.Tensor4D {
  return exactSign(g);
}

/** Steepest-ascent direction of unit size in `norm`. */
export function steepestDirection(g: tf.Tensor4D, norm: Norm): tf.Tensor4D {
  return norm === 'linf' ? normalizeLinf(g) : normalizeL2(g);
}

/**
 * A point drawn uniformly from the ε-ball of `norm`, one per example, shape `shape`.
 * L∞: uniform on [−ε, ε]^d. L2: a Gaussian direction (uniform on the sphere) scaled
 * by ε·U^(1/d), which is uniform in volume; Madry-style "Gaussian then clip" is not.
 */
export function randomInBall(shape: [number, number, number, number], norm: Norm, eps: number, seed?: number): tf.Tensor4D {
  return tf.tidy(() => {
    if (norm === 'linf') return tf.randomUniform(shape, -eps, eps, 'float32', seed === undefined ? undefined : tfSeed(seed)) as tf.Tensor4D;
    const d = shape[1] * shape[2] * shape[3];
    // Offset the radius stream so it is not the same numbers as the direction stream.
    const dirSeed = seed === undefined ? undefined : tfSeed(seed);
    const radSeed = seed === undefined ? undefined : tfSeed((seed ^ 0x5bd1e995) >>> 0);
    const dir = normalizeL2(tf.randomNormal(shape, 0, 1, 'float32', dirSeed) as tf.Tensor4D);
    const u = tf.randomUniform([shape[0], 1, 1, 1], 0, 1, 'float32', radSeed);
    const radius = tf.mul(eps, tf.pow(u, 1 / d));
    return tf.mul(dir, radius) as tf.Tensor4D;
  });
}

/**
 * The box-and-ball step every caller needs: x + clipEta(xAdv − x) clipped to [0,1].
 * Clipping to the box after the ball projection keeps the point inside the ball,
 * since it only moves each coordinate towards x (x itself is in the box).
 */
export function projectToFeasible(x: tf.Tensor4D, xAdv: tf.Tensor4D, norm: Norm, eps: number): tf.Tensor4D {
  return tf.tidy(() => {
    const delta = clipEta(tf.sub(xAdv, x) as tf.Tensor4D, norm, eps);
    return tf.clipByValue(tf.add(x, delta), 0, 1) as tf.Tensor4D;
  });
}

/** Per backend: whether its clipByValue maps NaN to the lower bound, as the fused step does. */
const nanToLower = new Map<string, boolean>();

/**
 * XNNPACK's clamp, under the wasm backend, maps NaN to the lower bound in its x86 build
 * but keeps it in its ARM build (f32x4.max/min); asked once per backend.
 */
function clampSendsNaNToLower(): boolean {
  const backend = tf.getBackend();
  let v = nanToLower.get(backend);
  if (v === undefined) {
    v = tf.tidy(() => tf.clipByValue(tf.tensor1d([NaN]), -1, 1).dataSync()[0] === -1);
    nanToLower.set(backend, v);
  }
  return v;
}

/**
 * One ascent step, Π(xAdv + α·dir(g)) onto the ε-ball of `norm` around x and the box. For
 * L∞, one kernel where the backend has it (wasm, kernels/linf-step.ts, the same values bit
 * for bit as this composition); ε = 0, other dtypes or shapes, and a clamp that keeps NaN
 * always compose.
 */
export function ascentStep(x: tf.Tensor4D, xAdv: tf.Tensor4D, g: tf.Tensor4D, norm: Norm, stepSize: number, eps: number): tf.Tensor4D {
  const fusable = norm === 'linf' && Math.fround(-eps) < Math.fround(eps) &&
    [x, xAdv, g].every((t) => t.dtype === 'float32' && tf.util.arraysEqual(t.shape, x.shape));
  if (fusable && tf.getKernel(LINF_STEP, tf.getBackend()) && clampSendsNaNToLower()) {
    return tf.engine().runKernel(LINF_STEP, { x, xAdv, g }, { stepSize, eps } as never) as tf.Tensor4D;
  }
  return tf.tidy(() => projectToFeasible(x, tf.add(xAdv, tf.mul(steepestDirection(g, norm), stepSize)) as tf.Tensor4D, norm, eps));
}

/**
 * Mix integers into a 32-bit seed (murmur3 finaliser) so per-batch and per-restart
 * seeds are deterministic functions of the run seed but do not collide trivially.
 */
export function deriveSeed(base: number, ...parts: number[]): number {
  let h = (base >>> 0) ^ 0x9e3779b9;
  for (const p of [...parts, parts.length]) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}
