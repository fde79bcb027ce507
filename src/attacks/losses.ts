/**
 * The objectives attacks ascend, per example, plus the option fields they share.
 * Every loss is written as "larger is better for the attacker", so untargeted and
 * targeted modes use the same ascent code.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

/**
 * `ce`: cross-entropy on logits (Madry et al. 2018). `cw`: the Carlini–Wagner margin
 * max_{j≠y} f_j − f_y, which does not saturate when softmax does (Carlini & Wagner 2017).
 */
export const AttackLoss = z.enum(['ce', 'cw']);
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

/** Per-example cross-entropy of logits against integer labels. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.sub(tf.logSumExp(logits, 1), classLogit(logits, labels)) as tf.Tensor1D);
}

/**
 * The attacker's objective per example [N]. Untargeted: CE(y) or max_{j≠y} f_j − f_y.
 * Targeted (targets t given): −CE(t) or f_t − max_{j≠t} f_j.
 */
export function attackObjective(
  logits: tf.Tensor2D,
  y: tf.Tensor1D,
  loss: AttackLoss,
  targets?: tf.Tensor1D,
): tf.Tensor1D {
  return tf.tidy(() => {
    if (targets === undefined) {
      return loss === 'ce' ? crossEntropy(logits, y) : (tf.sub(maxOther(logits, y), classLogit(logits, y)) as tf.Tensor1D);
    }
    return loss === 'ce'
      ? (tf.neg(crossEntropy(logits, targets)) as tf.Tensor1D)
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
