/**
 * MaxMin (GroupSort with groups of 2; Anil, Lucas & Grosse 2019, deel-lip's
 * `GroupSort2`): the last axis is split into halves a, b and the layer outputs
 * [max(a, b), min(a, b)]. Each output pair is a permutation of its input pair, so the
 * map is 1-Lipschitz in ℓ2 and, unlike ReLU, gradient-norm preserving: with
 * orthonormal linear layers the product bound is close to the true constant.
 * Registered for serialization, so saved models load again.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { MAX_MIN, MAX_MIN_GRAD, registerMaxMinKernels } from '../kernels/max-min.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

export class MaxMin extends tfl.layers.Layer {
  static className = 'MaxMin';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const c = shape[shape.length - 1];
    if (typeof c !== 'number' || c % 2 !== 0) throw new Error(`MaxMin '${this.name}': the last axis must have an even, known size, got ${c}`);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return maxMinOp(Array.isArray(inputs) ? inputs[0]! : inputs);
  }
}
tf.serialization.registerClass(MaxMin);

/**
 * [max(a, b), min(a, b)] of the two halves a, b of the last axis: one kernel where this
 * backend has lipbench's (cpu, wasm; kernels/max-min.ts), else composed from tfjs ops
 * with the same values and gradients.
 */
export function maxMinOp(x: tf.Tensor): tf.Tensor {
  registerMaxMinKernels();
  if (x.dtype === 'float32' && tf.getKernel(MAX_MIN, tf.getBackend()) && tf.getKernel(MAX_MIN_GRAD, tf.getBackend())) {
    return tf.engine().runKernel(MAX_MIN, { x }) as tf.Tensor;
  }
  return maxMinComposite(x);
}

/** MaxMin from tfjs ops: the fallback of maxMinOp, and the reference its kernels must equal. */
export function maxMinComposite(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [a, b] = tf.split(x, 2, x.rank - 1);
    return tf.concat([tf.maximum(a!, b!), tf.minimum(a!, b!)], x.rank - 1);
  });
}

export function maxMin(args: LayerArgs = {}): MaxMin {
  return new MaxMin(args);
}
