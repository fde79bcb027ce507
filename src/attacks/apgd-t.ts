/**
 * APGD-T: targeted Auto-PGD on the targeted DLR loss (Croce & Hein, ICML 2020), the
 * second member of AutoAttack. For each of the `targetClasses` classes with the largest
 * clean logits other than the label, in order, one APGD run pushes the target's logit
 * above the label's, on the examples that earlier targets left correctly classified.
 * Norms: `apgd-t-linf` and `apgd-t-l2`. Needs at least 4 classes.
 *
 * Options (all optional):
 *   targetClasses  int ≥ 1   targets tried per example; default 9 (AutoAttack 'standard'),
 *                            or every other class when the model has fewer; a value
 *                            given explicitly must be at most (number of classes − 1)
 *   steps, restarts, momentum, rho: as apgd-ce (100, 1, 0.75, 0.75)
 * Inputs: NHWC float32 in [0,1]; the model returns logits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { apgd, ApgdOptions } from './apgd-core.js';
import { deriveSeed } from './geometry.js';
import { logits } from '../models/logits.js';
import { gatherRows, replaceRows, unbroken } from './subset.js';
import type { Attack, Norm } from './types.js';

export const ApgdTOptions = ApgdOptions.extend({
  targetClasses: z.int().min(1).optional(),
});
export type ApgdTOptions = z.input<typeof ApgdTOptions>;

/** AutoAttack 'standard': every other class of a 10-class problem. */
const DEFAULT_TARGETS = 9;

export function apgdT(norm: Norm, options: ApgdTOptions = {}): Attack {
  const { targetClasses, ...rest } = ApgdTOptions.parse(options);
  const o = ApgdOptions.parse(rest);
  const name = `apgd-t-${norm}`;
  return {
    name,
    norm,
    validate(info) {
      if (info.numClasses < 4) throw new Error(`${name}: the targeted DLR loss needs at least 4 classes; the model has ${info.numClasses}`);
      if (targetClasses !== undefined && targetClasses > info.numClasses - 1) {
        throw new Error(`${name}: targetClasses ${targetClasses} is more than the ${info.numClasses - 1} classes other than the label`);
      }
    },
    perturb: (model, x, y, eps, ctx) => {
      const n = x.shape[0];
      const numClasses = tf.tidy(() => logits(model, tf.slice(x, [0, 0, 0, 0], [Math.min(1, n), -1, -1, -1])).shape[1]);
      const k = Math.min(targetClasses ?? DEFAULT_TARGETS, numClasses - 1);
      // Synchronous on purpose: perturb is synchronous, and dataSync on a small [n,k] index tensor is cheap.
      const order = tf.tidy(() => {
        const z = logits(model, x);
        const isY = tf.cast(tf.oneHot(y, numClasses), 'bool');
        return tf.topk(tf.where(isY, tf.fill(z.shape, -Infinity), z), k).indices;
      });
      const orderData = order.dataSync() as Int32Array;
      order.dispose();
      const broken = new Uint8Array(n);
      let out = x.clone();
      for (let j = 0; j < k; j++) {
        const active = unbroken(broken);
        if (active.length === 0) break;
        const xs = gatherRows(x, active);
        const ys = gatherRows(y, active);
        const ts = tf.tensor1d(active.map((i) => orderData[i * k + j]!), 'int32');
        const r = apgd({ model, x: xs, y: ys, eps, norm, loss: 'dlr', targets: ts }, o, ctx?.seed === undefined ? undefined : deriveSeed(ctx.seed, j));
        const fooled = r.fooled.dataSync();
        active.forEach((i, a) => {
          if (fooled[a] === 1) broken[i] = 1;
        });
        const next = replaceRows(out, active, r.xAdv);
        tf.dispose([out, xs, ys, ts, r.xAdv, r.fooled]);
        out = next;
      }
      return out;
    },
  };
}
