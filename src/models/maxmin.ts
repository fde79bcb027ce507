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
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const [a, b] = tf.split(x, 2, x.rank - 1);
      return tf.concat([tf.maximum(a!, b!), tf.minimum(a!, b!)], x.rank - 1);
    });
  }
}
tf.serialization.registerClass(MaxMin);

export function maxMin(args: LayerArgs = {}): MaxMin {
  return new MaxMin(args);
}
