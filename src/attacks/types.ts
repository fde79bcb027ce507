/**
 * The contract every attack implements. An attack only proposes a perturbation;
 * `runAttack` (run-attack.ts) re-projects its output onto the ε-ball and the [0,1]
 * box, measures success and owns batching, so attacks stay small and testable.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export type Norm = 'linf' | 'l2';

/** A classifier that maps NHWC float32 inputs in [0,1] to logits [N, K]. */
export type Classifier = tfl.LayersModel;

/** Per-call inputs that are not hyperparameters: randomness and optional targets. */
export interface PerturbContext {
  /**
   * Seed for every random draw of this call (random starts, restarts). The same seed
   * gives identical output; without one the draws use tfjs' global random stream.
   */
  readonly seed?: number;
  /** Target classes [N] for attacks built with `target: 'given'`. */
  readonly targets?: tf.Tensor1D;
}

/** What an attack may check about the model before it runs (see Attack.validate). */
export interface AttackTargetInfo {
  readonly numClasses: number;
  /** Input shape without the batch axis: [H, W, C]. */
  readonly inputShape: readonly number[];
}

export interface Attack {
  readonly name: string;
  readonly norm: Norm;
  /** True for score-based attacks that never take a gradient (Square): the check against gradient masking. */
  readonly gradientFree?: boolean;
  /**
   * An ensemble: runAttack runs the members in order, each only on the points that
   * every earlier member left robust, and records which member broke each point.
   * `perturb` of an ensemble does the same for callers that use it directly.
   */
  readonly members?: readonly Attack[];
  /**
   * Throws an Error naming the offending option when the attack cannot run on such a
   * model (too few classes for its targets, an input with no square to perturb).
   */
  validate?(info: AttackTargetInfo): void;
  /**
   * Returns a new tensor x_adv of x's shape (the caller disposes it). Must not
   * dispose x, y or ctx.targets. `eps` is the radius in `norm`; x is in [0,1].
   */
  perturb(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx?: PerturbContext): tf.Tensor4D;
}
