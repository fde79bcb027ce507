/**
 * AutoAttack-style ensembles (Croce & Hein, ICML 2020): `autoattack-linf` and
 * `autoattack-l2`. Robust accuracy is the fraction of points that survive every member;
 * each member runs only on the points that the earlier ones left robust, so the ensemble
 * costs little more than its first member on non-robust models.
 *
 *   version 'standard'  APGD-CE, then APGD-T (9 targets), then Square (5000 queries)
 *   version 'fast'      APGD-CE, then APGD-T
 * AutoAttack's standard version also runs FAB-T between APGD-T and Square; it is not
 * implemented here (its authors report that it rarely changes the result after APGD-T).
 *
 * Options (all optional; each overrides that setting in every member that has it):
 *   version        'standard' | 'fast'   default 'standard'
 *   steps          int ≥ 1   APGD iterations; default 100
 *   targetClasses  int ≥ 1   APGD-T targets; default min(9, classes − 1)
 *   queries        int ≥ 1   Square's query budget; default 5000
 *   pInit          (0, 1]    Square's initial window fraction; default 0.8
 * Inputs: NHWC float32 in [0,1]; the model returns logits.
 *
 * `runAttack` evaluates the members itself (on the projected outputs, across batches)
 * and records which member broke each point; `perturb` does the same for direct callers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { apgdCe } from './apgd-ce.js';
import { apgdT } from './apgd-t.js';
import { deriveSeed, projectToFeasible } from './geometry.js';
import { logits } from '../models/logits.js';
import { square } from './square.js';
import { gatherRows, replaceRows, unbroken } from './subset.js';
import type { Attack, Norm } from './types.js';

export const AutoAttackOptions = z.strictObject({
  version: z.enum(['standard', 'fast']).default('standard'),
  steps: z.int().min(1).default(100),
  targetClasses: z.int().min(1).optional(),
  queries: z.int().min(1).default(5000),
  pInit: z.number().gt(0).max(1).default(0.8),
});
export type AutoAttackOptions = z.input<typeof AutoAttackOptions>;

/** An ensemble of attacks of one norm, run in order on the points still robust. */
export function ensemble(name: string, norm: Norm, members: readonly Attack[]): Attack {
  for (const m of members) if (m.norm !== norm) throw new Error(`${name}: member ${m.name} attacks in ${m.norm}, not ${norm}`);
  return {
    name,
    norm,
    members,
    validate(info) {
      for (const m of members) m.validate?.(info);
    },
    perturb(model, x, y, eps, ctx) {
      const n = x.shape[0];
      const broken = new Uint8Array(n);
      let out = x.clone();
      members.forEach((m, j) => {
        const active = unbroken(broken);
        if (active.length === 0) return;
        const xs = gatherRows(x, active);
        const ys = gatherRows(y, active);
        const raw = m.perturb(model, xs, ys, eps, ctx?.seed === undefined ? {} : { seed: deriveSeed(ctx.seed, j) });
        const adv = projectToFeasible(xs, raw, norm, eps);
        const wrong = tf.tidy(() => tf.notEqual(tf.argMax(logits(model, adv), 1), ys));
        const w = wrong.dataSync();
        active.forEach((i, a) => {
          if (w[a]) broken[i] = 1;
        });
        const next = replaceRows(out, active, adv);
        tf.dispose([out, xs, ys, raw, adv, wrong]);
        out = next;
      });
      return out;
    },
  };
}

export function autoAttack(norm: Norm, options: AutoAttackOptions = {}): Attack {
  const o = AutoAttackOptions.parse(options);
  const members: Attack[] = [apgdCe(norm, { steps: o.steps }), apgdT(norm, { steps: o.steps, ...(o.targetClasses !== undefined ? { targetClasses: o.targetClasses } : {}) })];
  if (o.version === 'standard') members.push(square(norm, { queries: o.queries, pInit: o.pInit }));
  return ensemble(`autoattack-${norm}`, norm, members);
}
