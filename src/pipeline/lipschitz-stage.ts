import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LipschitzOptions } from '../config/experiment.js';
import type { Split } from '../data/types.js';
import { lipschitzUpperBounds } from '../lipschitz/bounds.js';
import { certifiedAccuracy, certifiedRadii, gradientLowerBound, pairLowerBound } from '../lipschitz/empirical.js';
import type { AttackRow, LayerRow, RunKey, RunRow } from '../results/rows.js';
import type { AdversarialPair } from './attack-stage.js';

export type BoundColumns = Pick<RunRow, 'lipUpper' | 'lipUpperFrobenius' | 'lipUpperReshaped' | 'lipLowerGrad' | 'lipLowerPgd' | 'powerIterTol'>;

export interface LipschitzStageResult {
  readonly layers: LayerRow[];
  readonly bounds: BoundColumns;
  /** Fill certifiedAcc on the L2 attack rows from margin/(√2·L). */
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
}): Promise<LipschitzStageResult> {
  const { model, split, key, options } = input;
  const ub = lipschitzUpperBounds(model, { tol: options.tol, maxIters: options.maxIters, seed: input.seed + 17 });
  const n = Math.min(options.gradPoints, split.x.shape[0]);
  const xg = tf.slice(split.x, [0, 0, 0, 0], [n, -1, -1, -1]);
  const yg = tf.slice(split.y, [0], [n]);
  let grad;
  try {
    grad = gradientLowerBound(model, xg, yg, { ascentSteps: options.ascentSteps, seed: input.seed });
  } finally {
    tf.dispose([xg, yg]);
  }
  let pgd: number | null = null;
  for (const p of input.pairs) {
    const v = pairLowerBound(model, p.x, p.xAdv).value;
    pgd = pgd === null ? v : Math.max(pgd, v);
  }
  // Float32 forward passes carry ~1e-6 relative noise; anything beyond that is a real contradiction.
  const slack = 1 + 1e-4 + ub.maxRelChange;
  for (const [name, lower] of [['gradient', grad.value], ['attack-pair', pgd ?? 0]] as const) {
    if (lower > ub.upper * slack) {
      throw new Error(`lipschitz: ${name} lower bound ${lower} exceeds the upper bound ${ub.upper} for run ${key.runId}; this is a bug`);
    }
  }
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
      powerIterTol: ub.maxRelChange,
    },
    withCertified(rows) {
      return rows.map((r) => (r.norm === 'l2' ? { ...r, certifiedAcc: certifiedAccuracy(radii, [r.eps])[0]! } : r));
    },
  };
}
