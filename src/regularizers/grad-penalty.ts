/**
 * `grad-penalty`: a gradient-norm penalty used as a supervised regularizer, the seed
 * post's closing question ("can the gradient penalty be used directly as a regularizer
 * of a supervised model?"). From WGAN-GP (Gulrajani, Ahmed, Arjovsky, Dumoulin &
 * Courville, "Improved Training of Wasserstein GANs", NeurIPS 2017):
 *   two-sided  λ·E[(‖∇ₓg(x̃)‖₂ − K)²]
 *   one-sided  λ·E[max(‖∇ₓg(x̃)‖₂ − K, 0)²]   (the post's preferred form: only
 *              penalise where the local slope exceeds K)
 * The weight gradient of this needs second-order gradients (double backprop): the
 * penalty's forward pass contains ∇ₓg, built on the tape with tf.grad. tfjs lacks some
 * of them; src/kernels/gradients registers MaxPoolGrad's and AvgPoolGrad's, and the
 * first step runs a one-off check so that any other missing op fails with its name
 * instead of training with a wrong penalty.
 *
 * Options:
 *  - `lambda` (≥ 0, required): strength (WGAN-GP used 10 for critics).
 *  - `target` K (≥ 0, default 1).
 *  - `oneSided` (default false).
 *  - `fn` ('loss' | 'projection', default 'loss'): g is the per-example cross-entropy
 *    (double backprop, Drucker & LeCun 1992), or ⟨u, f(x̃)⟩ for a fresh random unit
 *    vector u per example and step (a stochastic probe of the logit map's Jacobian,
 *    independent of the labels).
 *  - `points` ('data' | 'interpolate' | 'ball', default 'interpolate'): where ∇ is
 *    taken: the training points; WGAN-GP's random interpolations t·xᵢ + (1−t)·xⱼ,
 *    t ~ U[0,1], between pairs of batch points; or uniform points in the `eps`-ball
 *    (norm `ballNorm`) around each training point, clipped to the [0,1] box.
 *  - `pairs` ('any' | 'same-class', default 'any'): partners for 'interpolate'. The
 *    seed post's point: with many classes, interpolating across classes lands in
 *    regions no data comes near, so the constraint is enforced "where it does not
 *    matter"; 'same-class' pairs each point with another of its own class in the batch
 *    (itself if it has none). With `fn: 'loss'` a cross-class point gets the mixed
 *    label t·e_yᵢ + (1−t)·e_yⱼ.
 *  - `eps` (> 0, default 0.1) and `ballNorm` ('linf' | 'l2', default 'linf') for 'ball'.
 *
 * The gradients are taken in inference mode, so the penalty never advances per-step
 * state: a spectral-normalized layer's u moves only after the optimizer step (the
 * `spectral-norm` regularizer's afterStep), or, in a layer left with updateInForward,
 * in the loss's training-mode forward pass, which a training-mode call here would
 * repeat; either way loss and penalty see the same W̄. The price: batch-norm's moving
 * statistics if a model has any. Costs roughly two extra forward+backward passes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { randomInBall } from '../attacks/geometry.js';
import { mulberry32, tfSeed } from '../util/rng.js';
import { explainMissingGradient, registerSecondOrderGradients } from '../kernels/gradients/index.js';
import type { Regularizer } from './types.js';

export const GradPenaltyOptions = z
  .object({
    name: z.literal('grad-penalty'),
    lambda: z.number().nonnegative(),
    target: z.number().nonnegative().default(1),
    oneSided: z.boolean().default(false),
    fn: z.enum(['loss', 'projection']).default('loss'),
    points: z.enum(['data', 'interpolate', 'ball']).default('interpolate'),
    pairs: z.enum(['any', 'same-class']).default('any'),
    eps: z.number().positive().default(0.1),
    ballNorm: z.enum(['linf', 'l2']).default('linf'),
  })
  .strict();
export type GradPenaltyOptions = z.infer<typeof GradPenaltyOptions>;

// Keeps ‖∇‖ differentiable where the gradient vanishes (d√s/ds is infinite at 0).
const TINY = 1e-12;

/**
 * Row-wise max with a zero gradient. The max runs inside customGrad's forward, which
 * the tape does not record, so not even the backward pass of tf.max (whose Equal op has
 * no gradient) ends up on the tape of the second-order pass.
 */
const constantRowMax = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const z = args[0] as tf.Tensor;
  return { value: tf.max(z, 1, true), gradFunc: () => tf.zerosLike(z) };
}) as (z: tf.Tensor) => tf.Tensor;

/**
 * Σᵢ cross-entropy of logits z against soft targets t, from differentiable primitives.
 * tfjs' softmaxCrossEntropy and logSoftmax are customGrad ops whose backward pass
 * reuses a softmax computed off the tape, so their *second* derivative would silently
 * miss the softmax's dependence on z.
 */
export function summedCrossEntropy(z: tf.Tensor2D, t: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    // lse is shift-invariant, so a constant max is exact and keeps exp() in range.
    const m = constantRowMax(z);
    const lse = tf.add(tf.log(tf.sum(tf.exp(tf.sub(z, m)), 1, true)), m);
    return tf.sum(tf.sub(tf.mul(lse, tf.sum(t, 1, true)), tf.sum(tf.mul(t, z), 1, true))) as tf.Scalar;
  });
}

export interface Probe {
  /** Points where the gradient is taken [N,H,W,C]. */
  readonly x: tf.Tensor4D;
  /** Soft labels [N,K] (fn 'loss') or unit directions [N,K] (fn 'projection'). */
  readonly weights: tf.Tensor2D;
}

function partners(labels: Int32Array | Float32Array | Uint8Array, sameClass: boolean, rand: () => number): Int32Array {
  const n = labels.length;
  const out = new Int32Array(n);
  if (!sameClass) {
    for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * n);
    return out;
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    const list = byClass.get(c);
    if (list) list.push(i);
    else byClass.set(c, [i]);
  }
  for (let i = 0; i < n; i++) {
    const same = byClass.get(labels[i]!)!;
    out[i] = same[Math.floor(rand() * same.length)]!;
  }
  return out;
}

/** The points and per-example weights of one step's penalty (exported for tests). */
export function sampleProbe(o: GradPenaltyOptions, x: tf.Tensor4D, y: tf.Tensor1D, numClasses: number, seed: number): Probe {
  return tf.tidy(() => {
    const n = x.shape[0];
    const oneHot = tf.cast(tf.oneHot(tf.cast(y, 'int32'), numClasses), 'float32') as tf.Tensor2D;
    let px: tf.Tensor4D = x;
    let labels: tf.Tensor2D = oneHot;
    if (o.points === 'interpolate') {
      const rand = mulberry32(seed);
      const j = tf.tensor1d(partners(y.dataSync(), o.pairs === 'same-class', rand), 'int32');
      const t = tf.randomUniform([n, 1], 0, 1, 'float32', tfSeed(seed));
      px = tf.add(tf.mul(tf.reshape(t, [n, 1, 1, 1]), x), tf.mul(tf.reshape(tf.sub(1, t), [n, 1, 1, 1]), tf.gather(x, j))) as tf.Tensor4D;
      labels = tf.add(tf.mul(t, oneHot), tf.mul(tf.sub(1, t), tf.gather(oneHot, j))) as tf.Tensor2D;
    } else if (o.points === 'ball') {
      px = tf.clipByValue(tf.add(x, randomInBall(x.shape, o.ballNorm, o.eps, tfSeed(seed))), 0, 1) as tf.Tensor4D;
    }
    let weights = labels;
    if (o.fn === 'projection') {
      const u = tf.randomNormal([n, numClasses], 0, 1, 'float32', tfSeed(seed + 1));
      weights = tf.div(u, tf.norm(u, 'euclidean', 1, true)) as tf.Tensor2D;
    }
    return { x: px === x ? tf.clone(x) : px, weights };
  });
}

/** Per-example ‖∇ₓ gᵢ‖₂ at the probe points, differentiable w.r.t. the weights. */
export function inputGradientNorms(model: tfl.LayersModel, probe: Probe, fn: GradPenaltyOptions['fn']): tf.Tensor1D {
  return tf.tidy(() => {
    // Examples are independent in inference mode, so the gradient of the sum has the
    // per-example gradients as its rows.
    const g = (xx: tf.Tensor): tf.Scalar => {
      const z = model.apply(xx, { training: false }) as tf.Tensor2D;
      return fn === 'loss' ? summedCrossEntropy(z, probe.weights) : (tf.sum(tf.mul(z, probe.weights)) as tf.Scalar);
    };
    const grad = tf.grad(g)(probe.x);
    return tf.sqrt(tf.add(tf.sum(tf.square(grad), [1, 2, 3]), TINY)) as tf.Tensor1D;
  });
}

/** λ·mean((‖∇‖ − K)²), or with max(·, 0) inside for the one-sided form. */
export function penaltyFromNorms(norms: tf.Tensor1D, o: Pick<GradPenaltyOptions, 'lambda' | 'target' | 'oneSided'>): tf.Scalar {
  return tf.tidy(() => {
    let excess = tf.sub(norms, o.target);
    if (o.oneSided) excess = tf.relu(excess);
    return tf.mul(tf.mean(tf.square(excess)), o.lambda) as tf.Scalar;
  });
}

function numClassesOf(model: tfl.LayersModel): number {
  const k = model.outputs[0]?.shape[1];
  if (typeof k !== 'number') throw new Error('grad-penalty: the model must output logits [N, K] with K known');
  return k;
}

export function createGradPenalty(opts: GradPenaltyOptions, seed = 0): Regularizer {
  registerSecondOrderGradients();
  let checked = false;
  const compute = (model: tfl.LayersModel, x: tf.Tensor4D, y: tf.Tensor1D, step: number): tf.Scalar =>
    tf.tidy(() => {
      const probe = sampleProbe(opts, x, y, numClassesOf(model), seed * 100003 + step * 7 + 1);
      return penaltyFromNorms(inputGradientNorms(model, probe, opts.fn), opts);
    });
  return {
    name: 'grad-penalty',
    beforeStep({ model }) {
      if (checked) return;
      // One double backprop on two random inputs, outside the training tape, so that a
      // missing second-order gradient is reported with its op name (inside the loop's
      // tape it would surface as tfjs' bare "gradient function not found").
      const shape = model.inputs[0]!.shape.slice(1) as number[];
      if (shape.some((d) => typeof d !== 'number')) throw new Error(`grad-penalty: the model needs a fixed input shape, got [${shape}]`);
      tf.tidy(() => {
        const x = tf.randomUniform([2, shape[0]!, shape[1]!, shape[2]!], 0, 1, 'float32', 12345) as tf.Tensor4D;
        const y = tf.tensor1d([0, Math.min(1, numClassesOf(model) - 1)], 'int32');
        const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
        let grads: tf.NamedTensorMap;
        try {
          grads = tf.variableGrads(() => compute(model, x, y, 0), vars).grads;
        } catch (e) {
          throw explainMissingGradient(e, 'grad-penalty');
        }
        for (const [name, g] of Object.entries(grads)) {
          if (!tf.all(tf.isFinite(g)).dataSync()[0]) throw new Error(`grad-penalty: the penalty's gradient for ${name} is not finite`);
        }
      });
      checked = true;
    },
    penalty({ model, x, y, step }) {
      return compute(model, x, y, step);
    },
  };
}
