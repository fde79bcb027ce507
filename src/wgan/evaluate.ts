/**
 * What is measured at each logged epoch of a WGAN run:
 *  - quality of the generator from a fixed noise batch (the same per seed for every
 *    variant): Fréchet distance between the feature classifier's penultimate features
 *    of real test images and of samples, the classifier's mean confidence and the
 *    entropy of its predicted-class histogram;
 *  - the critic's Wasserstein estimate on held-out data: mean D(real) − mean D(fake);
 *  - the critic's Lipschitz constant: the sound product upper bound over operator norms
 *    (lipschitz/bounds.ts; SN layers are measured at their effective W̄), and lower
 *    bounds max ‖∇ₓD(x)‖ at real, generated and interpolated points. For a differentiable
 *    D, every gradient norm is ≤ the Lipschitz constant ≤ the upper bound.
 *  - the 8×8 sample grid from the first 64 noise vectors.
 * Samples are generated in training mode (batch statistics), the mode in which the
 * critic sees them during training.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { lipschitzUpperBounds } from '../lipschitz/bounds.js';
import { confidenceAndClassEntropy, probeImages } from './feature-classifier.js';
import { featureStats, frechetDistance, sqrtPsd, type GaussianStats, type SymMatrix } from './frechet.js';
import { criticGradNorms, criticScores, interpolates } from './penalty.js';
import type { WganTrainer } from './trainer.js';

export interface RealReference {
  readonly x: tf.Tensor4D;
  readonly stats: GaussianStats;
  readonly sqrtCov: SymMatrix;
}

/** Feature statistics of the real evaluation images, computed once per experiment. */
export function realReference(probe: tfl.LayersModel, x: tf.Tensor4D): RealReference {
  const out = probeImages(probe, x);
  const stats = featureStats(out.features, out.count, out.dim);
  return { x, stats, sqrtCov: sqrtPsd(stats.cov) };
}

export interface EvalSettings {
  readonly samples: number;
  readonly lipschitzPoints: number;
  readonly tol: number;
  readonly maxIters: number;
  /** Seed of the fixed evaluation noise (per run seed, shared across variants). */
  readonly noiseSeed: number;
}

export interface EvalResult {
  readonly frechet: number;
  readonly confidence: number;
  readonly classEntropy: number;
  readonly wassersteinEval: number;
  readonly lipUpper: number;
  readonly lipUpperReshaped: number;
  readonly powerIterTol: number;
  readonly lipLowerReal: number;
  readonly lipLowerFake: number;
  readonly lipLowerInterp: number;
  readonly gradNormMeanInterp: number;
  /** The first 64 samples, [64·28·28] in [0,1]. */
  readonly grid: Float32Array;
}

function generateSamples(trainer: WganTrainer, count: number, seed: number, batch = 500): tf.Tensor4D {
  const parts: tf.Tensor4D[] = [];
  const z = trainer.noise(count, seed);
  try {
    for (let s = 0; s < count; s += batch) {
      const size = Math.min(batch, count - s);
      parts.push(tf.tidy(() => trainer.generate(tf.slice(z, s, size))));
    }
    return parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as tf.Tensor4D);
  } finally {
    z.dispose();
    if (parts.length > 1) tf.dispose(parts);
  }
}

function maxAndMean(t: tf.Tensor1D): { max: number; mean: number } {
  const v = t.dataSync();
  let max = 0;
  let sum = 0;
  for (const x of v) {
    if (x > max) max = x;
    sum += x;
  }
  return { max, mean: sum / v.length };
}

function meanScore(critic: tfl.LayersModel, x: tf.Tensor4D, batch = 500): number {
  let sum = 0;
  for (let s = 0; s < x.shape[0]; s += batch) {
    const size = Math.min(batch, x.shape[0] - s);
    const t = tf.tidy(() => tf.sum(criticScores(critic, tf.slice(x, s, size))));
    sum += t.dataSync()[0]!;
    t.dispose();
  }
  return sum / x.shape[0];
}

function gradNorms(critic: tfl.LayersModel, x: tf.Tensor4D): { max: number; mean: number } {
  const n = tf.tidy(() => criticGradNorms(critic, x));
  try {
    return maxAndMean(n);
  } finally {
    n.dispose();
  }
}

export function evaluateWgan(trainer: WganTrainer, probe: tfl.LayersModel, real: RealReference, s: EvalSettings): EvalResult {
  const fake = generateSamples(trainer, s.samples, s.noiseSeed);
  try {
    const out = probeImages(probe, fake);
    const frechet = frechetDistance(real.stats, featureStats(out.features, out.count, out.dim), real.sqrtCov);
    const { confidence, classEntropy } = confidenceAndClassEntropy(out.probs, out.count);
    const gridT = tf.slice(fake, 0, Math.min(64, s.samples));
    const grid = Float32Array.from(gridT.dataSync());
    gridT.dispose();
    const critic = trainer.critic;
    const wassersteinEval = meanScore(critic, real.x) - meanScore(critic, fake);
    const bounds = lipschitzUpperBounds(critic, { tol: s.tol, maxIters: s.maxIters, seed: 17 });
    const p = Math.min(s.lipschitzPoints, real.x.shape[0], s.samples);
    const [r, f] = [tf.slice(real.x, 0, p) as tf.Tensor4D, tf.slice(fake, 0, p) as tf.Tensor4D];
    const i = interpolates(r, f, s.noiseSeed + 1);
    try {
      const gr = gradNorms(critic, r);
      const gf = gradNorms(critic, f);
      const gi = gradNorms(critic, i);
      return {
        frechet,
        confidence,
        classEntropy,
        wassersteinEval,
        lipUpper: bounds.upper,
        lipUpperReshaped: bounds.upperReshaped,
        powerIterTol: bounds.maxRelChange,
        lipLowerReal: gr.max,
        lipLowerFake: gf.max,
        lipLowerInterp: gi.max,
        gradNormMeanInterp: gi.mean,
        grid,
      };
    } finally {
      tf.dispose([r, f, i]);
    }
  } finally {
    fake.dispose();
  }
}
