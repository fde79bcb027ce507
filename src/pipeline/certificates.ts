/**
 * Certified accuracy by each certificate at every attacked (norm, ε), on the attacked
 * points, written into the certificate columns of the attack rows:
 *   certifiedAcc          margin/(√2·L), L2 (filled by lipschitz-stage as before)
 *   certifiedPairwiseAcc  min_j (f_y − f_j)/(‖w_y − w_j‖·L(body)), L2
 *   certifiedIbpAcc       interval bound propagation, L2 and L∞
 *   certifiedCrownAcc     CROWN, L2 and L∞
 * A model that bound propagation cannot handle (e.g. max-pooling) keeps those columns
 * empty, with one log line naming the layer.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LipschitzBounds } from '../lipschitz/bounds.js';
import { certifiedAccuracyByPropagation, type BallNorm } from '../lipschitz/bound-propagation.js';
import { chainOps, type ChainOps } from '../lipschitz/chain-ops.js';
import { certifiedAccuracy } from '../lipschitz/empirical.js';
import { lipschitzRadii } from '../lipschitz/pairwise.js';
import type { AttackRow } from '../results/rows.js';

export type CertificateName = 'pairwise' | 'ibp' | 'crown';

type Column = 'certifiedPairwiseAcc' | 'certifiedIbpAcc' | 'certifiedCrownAcc';

function epsByNorm(rows: readonly AttackRow[]): Map<BallNorm, number[]> {
  const out = new Map<BallNorm, number[]>();
  for (const r of rows) {
    const list = out.get(r.norm) ?? [];
    if (!list.includes(r.eps)) list.push(r.eps);
    out.set(r.norm, list);
  }
  return out;
}

export function addCertificates(input: {
  model: tfl.LayersModel;
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  bounds: LipschitzBounds;
  rows: readonly AttackRow[];
  certificates: readonly CertificateName[];
  log?: (line: string) => void;
}): AttackRow[] {
  const { model, x, y, rows } = input;
  const log = input.log ?? (() => {});
  // Certified ≤ robust compares counts over the same points: the attacks must have run on exactly these.
  for (const r of rows) {
    if (r.n !== x.shape[0]) throw new Error(`certificates: attack ${r.attack} ε=${r.eps} ran on ${r.n} points, certificates on ${x.shape[0]}; they must use the same points`);
  }
  // value[column][norm|eps]
  const values = new Map<Column, Map<string, number>>();
  const set = (col: Column, norm: BallNorm, eps: number, v: number) => {
    const m = values.get(col) ?? new Map<string, number>();
    m.set(`${norm}|${eps}`, v);
    values.set(col, m);
  };
  const byNorm = epsByNorm(rows);
  if (input.certificates.includes('pairwise')) {
    const l2 = byNorm.get('l2') ?? [];
    if (l2.length) {
      const radii = lipschitzRadii(model, input.bounds, x, y);
      certifiedAccuracy(radii.pairwise, l2).forEach((v, i) => set('certifiedPairwiseAcc', 'l2', l2[i]!, v));
    }
  }
  const methods = (['ibp', 'crown'] as const).filter((m) => input.certificates.includes(m));
  if (methods.length) {
    let chain: ChainOps | undefined;
    try {
      chain = chainOps(model);
    } catch (e) {
      log(`  certificates: ${methods.join(', ')} skipped: ${(e as Error).message}`);
    }
    if (chain) {
      try {
        for (const method of methods) {
          for (const [norm, epsList] of byNorm) {
            for (const r of certifiedAccuracyByPropagation(chain, x, y, norm, epsList, method)) {
              set(method === 'ibp' ? 'certifiedIbpAcc' : 'certifiedCrownAcc', norm, r.eps, r.accuracy);
            }
          }
        }
      } finally {
        chain.dispose();
      }
    }
  }
  return rows.map((r) => {
    const extra: Partial<Record<Column, number>> = {};
    for (const [col, m] of values) {
      const v = m.get(`${r.norm}|${r.eps}`);
      if (v !== undefined) extra[col] = v;
    }
    return { ...r, ...extra };
  });
}
