import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LayerFactory } from '../models/layer-factory.js';

/** What a penalty sees inside the gradient tape for one training step. */
export interface StepContext {
  readonly model: tfl.LayersModel;
  readonly x: tf.Tensor4D;
  readonly y: tf.Tensor1D;
  /** Logits of the batch, computed in training mode on the tape. */
  readonly logits: tf.Tensor2D;
  readonly step: number;
}

/** What `transformBatch` sees: the raw batch, before the gradient tape starts. */
export interface BatchContext {
  readonly model: tfl.LayersModel;
  readonly x: tf.Tensor4D;
  readonly y: tf.Tensor1D;
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
 * (for constraints: clipping, projections, decoupled decay). `transformBatch` replaces
 * the batch's inputs before the tape (adversarial training); `layerFactory` changes
 * what the model's layers are (spectral normalization as a reparameterization), so it
 * must be honoured when the model is built, before any step.
 */
export interface Regularizer {
  readonly name: string;
  /** Constructors the model must be built with; see models/layer-factory.ts. */
  readonly layerFactory?: LayerFactory;
  /**
   * Returns the inputs to train on instead of ctx.x (same shape; a new tensor, which
   * the loop disposes). Runs outside the tape, so it may take its own gradients.
   */
  transformBatch?(ctx: BatchContext): tf.Tensor4D;
  beforeStep?(ctx: HookContext): void;
  penalty?(ctx: StepContext): tf.Scalar;
  /**
   * The logits the cross-entropy is taken on instead of ctx.logits, inside the tape
   * (certified training: GloRo's ⊥ column, Lipschitz-margin's raised non-target
   * logits). At most one regularizer of a method may define it.
   */
  trainLogits?(ctx: StepContext): tf.Tensor2D;
  afterStep?(ctx: HookContext): void;
  /** Release persistent tensors. */
  dispose?(): void;
}
