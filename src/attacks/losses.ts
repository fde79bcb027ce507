/**
 * The objectives attacks ascend, per example, plus the option fields they share.
 * Every loss is written as "larger is better for the attacker", so untargeted and
 * targeted modes use the same ascent code.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { softmaxCrossEntropyRows } from '../kernels/softmax-ce.js';

/**
 * `ce`: cross-entropy on logits (Madry et al. 2018). `cw`: the Carlini–Wagner margin
 * max_{j≠y} f_j − f_y, which does not saturate when softmax does (Carlini & Wagner 2017).
 * `dlr`: the Difference of Logits Ratio (Croce & Hein 2020), the margin divided by the
 * spread of the top logits: invariant to shifting and scaling the logits, so neither a
 * saturated softmax nor a large logit scale can make its gradient vanish. Needs ≥ 3
 * classes untargeted and ≥ 4 targeted.
 */
export const AttackLoss = z.enum(['ce', 'cw', 'dlr']);
export type AttackLoss = z.infer<typeof AttackLoss>;

/**
 * `none`: untargeted. `next`: target (y+1) mod K. `given`: targets come from
 * `PerturbContext.targets` (runAttack's `targets` option).
 */
export const TargetMode = z.enum(['none', 'next', 'given']);
export type TargetMode = z.infer<typeof TargetMode>;

/** Option fields shared by all gradient attacks; spread into each attack's schema. */
export const lossOptionShape = {
  /** Objective to ascend (default `ce`). */
  loss: AttackLoss.default('ce'),
  /** Targeting mode (default `none`). */
  target: TargetMode.default('none'),
};

/** Logits of the margin classes: max over j ≠ c of logits[:, j]. */
function maxOther(logits: tf.Tensor2D, cls: tf.Tensor1D): tf.Tensor1D {
  const k = logits.shape[1];
  const isCls = tf.cast(tf.oneHot(cls, k), 'bool');
  // -Infinity masks the class itself; max's gradient then flows only to the runner-up.
  return tf.max(tf.where(isCls, tf.fill(logits.shape, -Infinity), logits), 1) as tf.Tensor1D;
}

function classLogit(logits: tf.Tensor2D, cls: tf.Tensor1D): tf.Tensor1D {
  return tf.sum(tf.mul(logits, tf.oneHot(cls, logits.shape[1])), 1) as tf.Tensor1D;
}

/**
 * The k largest logits per row, largest first, as differentiable [N] tensors. Built
 * from repeated argMax and one-hot masks because tfjs has no gradient for TopK; the
 * masks are constants to the gradient, so each value's gradient flows to its own logit.
 */
function topLogits(logits: tf.Tensor2D, k: number): tf.Tensor1D[] {
  const n = logits.shape[1];
  if (n < k) throw new Error(`the DLR loss needs at least ${k} classes; the model has ${n}`);
  const out: tf.Tensor1D[] = [];
  let masked: tf.Tensor2D = logits;
  for (let i = 0; i < k; i++) {
    const hot = tf.cast(tf.oneHot(tf.argMax(masked, 1), n), 'float32') as tf.Tensor2D;
    out.push(tf.sum(tf.mul(logits, hot), 1) as tf.Tensor1D);
    // Push the chosen logit far below the rest; only argMax ever sees `masked`.
    masked = tf.sub(masked, tf.mul(hot, 1e30)) as tf.Tensor2D;
  }
  return out;
}

/** Guards DLR's denominator when the top logits coincide (AutoAttack's 1e-12). */
const DLR_TINY = 1e-12;

/** Untargeted DLR as an objective to ascend: −(f_y − max_{j≠y} f_j)/(f_π1 − f_π3). */
function dlr(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
  const [p1, , p3] = topLogits(logits, 3);
  return tf.div(tf.sub(maxOther(logits, y), classLogit(logits, y)), tf.add(tf.sub(p1!, p3!), DLR_TINY)) as tf.Tensor1D;
}

/** Targeted DLR to ascend: −(f_y − f_t)/(f_π1 − (f_π3 + f_π4)/2). */
function dlrTargeted(logits: tf.Tensor2D, y: tf.Tensor1D, t: tf.Tensor1D): tf.Tensor1D {
  const [p1, , p3, p4] = topLogits(logits, 4);
  const spread = tf.add(tf.sub(p1!, tf.mul(tf.add(p3!, p4!), 0.5)), DLR_TINY);
  return tf.div(tf.sub(classLogit(logits, t), classLogit(logits, y)), spread) as tf.Tensor1D;
}

/**
 * Cross-entropy of logits against integer labels, one value per example [N] (train/loss.ts
 * has the mean): one kernel and its gradient where the backend has lipbench's
 * (kernels/softmax-ce.ts), else logSumExp − the class logit from tfjs ops.
 */
export function perExampleCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return softmaxCrossEntropyRows(logits, labels);
}

/**
 * The attacker's objective per example [N]. Untargeted: CE(y), max_{j≠y} f_j − f_y, or
 * DLR. Targeted (targets t given): −CE(t), f_t − max_{j≠t} f_j, or targeted DLR.
 */
export function attackObjective(
  logits: tf.Tensor2D,
  y: tf.Tensor1D,
  loss: AttackLoss,
  targets?: tf.Tensor1D,
): tf.Tensor1D {
  return tf.tidy(() => {
    if (targets === undefined) {
      if (loss === 'dlr') return dlr(logits, y);
      return loss === 'ce' ? perExampleCrossEntropy(logits, y) : (tf.sub(maxOther(logits, y), classLogit(logits, y)) as tf.Tensor1D);
    }
    if (loss === 'dlr') return dlrTargeted(logits, y, targets);
    return loss === 'ce'
      ? (tf.neg(perExampleCrossEntropy(logits, targets)) as tf.Tensor1D)
      : (tf.sub(classLogit(logits, targets), maxOther(logits, targets)) as tf.Tensor1D);
  });
}

/** Resolve the targets for a call, or undefined for untargeted attacks. */
export function resolveTargets(
  mode: TargetMode,
  y: tf.Tensor1D,
  numClasses: number,
  given: tf.Tensor1D | undefined,
): tf.Tensor1D | undefined {
  if (mode === 'none') return undefined;
  if (mode === 'next') return tf.tidy(() => tf.mod(tf.add(y, tf.scalar(1, 'int32')), tf.scalar(numClasses, 'int32')) as tf.Tensor1D);
  if (given === undefined) throw new Error("target: 'given' needs targets (runAttack option `targets`)");
  if (given.shape[0] !== y.shape[0]) throw new Error(`targets has ${given.shape[0]} entries for ${y.shape[0]} examples`);
  return given.clone();
}
