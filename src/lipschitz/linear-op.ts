/**
 * The shapes shared by the σ_max estimators (power-iteration.ts and lanczos.ts), kept
 * apart so that neither estimator imports the other's module for its types.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** A linear map on tensors; must be exactly linear (no bias) for the estimate to mean anything. */
export type LinearOp = (x: tf.Tensor) => tf.Tensor;

export interface PowerIterationResult {
  /** Lower estimate of σ_max (see power-iteration.ts). */
  readonly sigma: number;
  /** Number of op+adjoint pairs evaluated. */
  readonly iterations: number;
  /** Relative change of σ̂ at the last checked iteration. */
  readonly relChange: number;
  readonly converged: boolean;
}
