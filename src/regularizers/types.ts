import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** What a penalty sees inside the gradient tape for one training step. */
export interface StepContext {
  readonly model: tfl.LayersModel;
  readonly x: tf.Tensor4D;
  readonly y: tf.Tensor1D;
  /** Logits of the batch, computed in training mode on the tape. */
  readonly logits: tf.Tensor2D;
  readonly step: number;
}

export interface HookContext {
  readonly model: tfl.LayersModel;
  readonly step: number;
  readonly learningRate: number;
}

/**
 * A Lipschitz-controlling method. Penalties are added to the loss inside the tape;
 * `beforeStep` runs outside the tape (for state such as power-iteration vectors that
 * must not be differentiated); `afterStep` runs after the optimizer has stepped
 * (for constraints: clipping, projections, decoupled decay).
 */
export interface Regularizer {
  readonly name: string;
  beforeStep?(ctx: HookContext): void;
  penalty?(ctx: StepContext): tf.Scalar;
  afterStep?(ctx: HookContext): void;
  /** Release persistent tensors. */
  dispose?(): void;
}
