import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LipschitzOptions } from '../config/experiment.js';
import type { Split } from '../data/types.js';
import { lipschitzUpperBounds } from '../lipschitz/bounds.js';
import { certifiedAccuracy, certifiedRadii, gradientLowerBound, pairLowerBound } from '../lipschitz/empirical.js';
import type { AttackRow, LayerRow, RunKey, RunRow } from '../results/rows.js';
import type { AdversarialPair } from './attack-stage.js';
import { mulberry32, tfSeed } from '../util/rng.js';
import { checkpoint, type CancelSignal } from '../util/cancel.js';
import { addCertificates } from './certificates.js';
import { checkCertifiedInvariant } from './certified-invariant.js';

/**
 * Probe points away from the data: x̃ = t·x_i + (1−t)·x_j for pairs of different labels
 * (labelled with x_i's class for the margin direction), and uniform noise in [0,1]
 * (labelled 0: any fixed label gives a valid unit direction u).
 */
export function offDataProbes(x: tf.Tensor4D, y: tf.Tensor1D, seed: number): { interp: { x: tf.Tensor4D; y: tf.Tensor1D }; noise: { x: tf.Tensor4D; y: tf.Tensor1D } } {
  const n = x.shape[0];
  const labels = y.dataSync();
  const rand = mulberry32(seed * 977 + 5);
  const a: number[] = [];
  const b: number[] = [];
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    let j = Math.floor(rand() * n);
    for (let k = 0; k < 20 && labels[j] === labels[i]; k++) j = Math.floor(rand() * n);
    a.push(i);
    b.push(j);
    t.push(rand());
  }
  return tf.tidy(() => {
    const tt = tf.reshape(tf.tensor1d(t), [n, 1, 1, 1]);
    const xi = tf.gather(x, tf.tensor1d(a, 'int32'));
    const xj = tf.gather(x, tf.tensor1d(b, 'int32'));
    const interp = tf.add(tf.mul(tt, xi), tf.mul(tf.sub(1, tt), xj)) as tf.Tensor4D;
    const noise = tf.randomUniform(x.shape, 0, 1, 'float32', tfSeed(seed * 31 + 7)) as tf.Tensor4D;
    return { interp: { x: interp, y: tf.clone(y) }, noise: { x: noise, y: tf.zeros([n], 'int32') as tf.Tensor1D } };
  });
}

export type BoundColumns = Pick<
  RunRow,
  'lipUpper' | 'lipUpperFrobenius' | 'lipUpperReshaped' | 'lipLowerGrad' | 'lipLowerPgd' | 'lipLocalInterp' | 'lipLocalNoise' | 'powerIterTol'
>;

export interface LipschitzStageResult {
  readonly layers: LayerRow[];
  readonly bounds: BoundColumns;
  /**
   * Fill certifiedAcc on the L2 attack rows from margin/(√2·L) and the configured
   * certificates' columns, then check certified ≤ empirical robust ≤ clean (throws).
   */
  withCertified(rows: readonly AttackRow[]): AttackRow[];
}

/**
 * Sound upper bounds (products of per-layer operator norms and activation factors),
 * empirical lower bounds (gradient norms at test points, ratios over attack pairs),
 * and certified L2 accuracy. A lower bound above the upper bound means a bug, so it
 * fails the run loudly instead of writing a contradictory row.
 */
export async function lipschitzStage(input: {
  model: tfl.LayersModel;
  split: Split;
  key: RunKey;
  options: LipschitzOptions;
  pairs: readonly AdversarialPair[];
  seed: number;
  signal?: CancelSignal;
  log?: (line: string) => void;
}): Promise<LipschitzStageResult> {
  const { model, split, key, options } = input;
  // Each bound below is one synchronous computation: a cancel is honoured between them.
  await checkpoint(input.signal);
  const ub = lipschitzUpperBounds(model, { tol: options.tol, maxIters: options.maxIters, seed: input.seed + 17 });
  const n = Math.min(options.gradPoints, split.x.shape[0]);
  const xg = tf.slice(split.x, [0, 0, 0, 0], [n, -1, -1, -1]);
  const yg = tf.slice(split.y, [0], [n]);
  let grad;
  let interp;
  let noise;
  await checkpoint(input.signal);
  try {
    grad = gradientLowerBound(model, xg, yg, { ascentSteps: options.ascentSteps, seed: input.seed });
    // Off the data: gradient penalties only constrain where they sample, so the local
    // slope between classes and on noise tells how global their constraint is.
    const probes = offDataProbes(xg, yg, input.seed);
    try {
      interp = gradientLowerBound(model, probes.interp.x, probes.interp.y, { seed: input.seed }).value;
      noise = gradientLowerBound(model, probes.noise.x, probes.noise.y, { seed: input.seed }).value;
    } finally {
      tf.dispose([probes.interp.x, probes.interp.y, probes.noise.x, probes.noise.y]);
    }
  } finally {
    tf.dispose([xg, yg]);
  }
  await checkpoint(input.signal);
  let pgd: number | null = null;
  for (const p of input.pairs) {
    await checkpoint(input.signal);
    const v = pairLowerBound(model, p.x, p.xAdv).value;
    pgd = pgd === null ? v : Math.max(pgd, v);
  }
  // Float32 forward passes carry ~1e-6 relative noise; anything beyond that is a real contradiction.
  const slack = 1 + 1e-4 + ub.maxRelChange;
  for (const [name, lower] of [['gradient', grad.value], ['attack-pair', pgd ?? 0], ['interpolation-gradient', interp], ['noise-gradient', noise]] as const) {
    if (lower > ub.upper * slack) {
      throw new Error(`lipschitz: ${name} lower bound ${lower} exceeds the upper bound ${ub.upper} for run ${key.runId}; this is a bug`);
    }
  }
  await checkpoint(input.signal);
  const radii = certifiedRadii(model, split.x, split.y, ub.upper);
  const layers: LayerRow[] = ub.layers.map((l) => ({ ...key, ...l }));
  return {
    layers,
    bounds: {
      lipUpper: ub.upper,
      lipUpperFrobenius: ub.upperFrobenius,
      lipUpperReshaped: ub.upperReshaped,
      lipLowerGrad: grad.value,
      lipLowerPgd: pgd,
      lipLocalInterp: interp,
      lipLocalNoise: noise,
      powerIterTol: ub.maxRelChange,
    },
    withCertified(rows) {
      const global = rows.map((r) => (r.norm === 'l2' ? { ...r, certifiedAcc: certifiedAccuracy(radii, [r.eps])[0]! } : r));
      const all = addCertificates({ model, x: split.x, y: split.y, bounds: ub, rows: global, certificates: options.certificates, log: input.log });
      return [...checkCertifiedInvariant(all)];
    },
  };
}
