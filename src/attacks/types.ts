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

export interface Attack {
  readonly name: string;
  readonly norm: Norm;
  /**
   * Returns a new tensor x_adv of x's shape (the caller disposes it). Must not
   * dispose x, y or ctx.targets. `eps` is the radius in `norm`; x is in [0,1].
   */
  perturb(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, eps: number, ctx?: PerturbContext): tf.Tensor4D;
}
