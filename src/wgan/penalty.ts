/**
 * The WGAN-GP gradient penalty (Gulrajani et al. 2017, Algorithm 1) and the critic's
 * input-gradient norms it is built from:
 *
 *   x̂ = ε·x_real + (1−ε)·x_fake,  ε ~ U[0,1] per example
 *   two-sided   λ·E[(‖∇ₓD(x̂)‖₂ − K)²]
 *   one-sided   λ·E[max(‖∇ₓD(x̂)‖₂ − K, 0)²]   (the seed post's "relu" form)
 *
 * ‖∇ₓD‖ is computed on the tape (tf.grad inside the loss), so the penalty's weight
 * gradient is a double backprop; registerSecondOrderGradients supplies what tfjs 4.22
 * lacks or gets wrong at second order. The critic is applied in inference mode: its
 * examples are independent (no batch-norm), so the gradient of Σᵢ D(x̂ᵢ) has the
 * per-example gradients as rows, and a spectral-normalized critic's u is not advanced
 * a second time within one step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { tfSeed } from '../util/rng.js';
import { registerSecondOrderGradients } from '../kernels/gradients/index.js';

// Keeps ‖∇‖ differentiable where the gradient vanishes (d√s/ds is infinite at 0).
const TINY = 1e-12;

export interface PenaltyOptions {
  readonly lambda: number;
  readonly target: number;
  readonly oneSided: boolean;
}

/** Per-example random points on the segments between real and fake images. */
export function interpolates(real: tf.Tensor4D, fake: tf.Tensor4D, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    const n = real.shape[0];
    const eps = tf.randomUniform([n, 1, 1, 1], 0, 1, 'float32', tfSeed(seed));
    return tf.add(tf.mul(eps, real), tf.mul(tf.sub(1, eps), fake)) as tf.Tensor4D;
  });
}

/** The critic's scores [N] in inference mode. */
export function criticScores(critic: tfl.LayersModel, x: tf.Tensor4D, training = false): tf.Tensor1D {
  return tf.tidy(() => tf.reshape(critic.apply(x, { training }) as tf.Tensor, [-1]) as tf.Tensor1D);
}

/** Per-example ‖∇ₓD(x)‖₂, differentiable w.r.t. the critic's weights. */
export function criticGradNorms(critic: tfl.LayersModel, x: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => {
    const g = tf.grad((xx: tf.Tensor) => tf.sum(critic.apply(xx, { training: false }) as tf.Tensor) as tf.Scalar)(x);
    return tf.sqrt(tf.add(tf.sum(tf.square(g), [1, 2, 3]), TINY)) as tf.Tensor1D;
  });
}

/** λ·mean((‖∇‖ − K)²), with relu(‖∇‖ − K) inside for the one-sided form. */
export function penaltyFromNorms(norms: tf.Tensor1D, o: PenaltyOptions): tf.Scalar {
  return tf.tidy(() => {
    let excess = tf.sub(norms, o.target);
    if (o.oneSided) excess = tf.relu(excess);
    return tf.mul(tf.mean(tf.square(excess)), o.lambda) as tf.Scalar;
  });
}

/** The penalty at fresh interpolates of this real and fake batch. */
export function gradientPenalty(critic: tfl.LayersModel, real: tf.Tensor4D, fake: tf.Tensor4D, o: PenaltyOptions, seed: number): tf.Scalar {
  registerSecondOrderGradients();
  return tf.tidy(() => penaltyFromNorms(criticGradNorms(critic, interpolates(real, fake, seed)), o));
}
