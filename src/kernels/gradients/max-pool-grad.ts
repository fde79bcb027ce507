/**
 * Gradient of MaxPoolGrad, which tfjs 4.22 lacks ("gradient function not found for
 * MaxPoolGrad"): needed for double backpropagation through max-pooling (gradient
 * penalties, input-gradient lower bounds that are then optimized).
 *
 * MaxPoolGrad(dy, x, y) routes each output gradient dy[o] to the position p(o) of the
 * window's maximum in x. It is linear in dy, so its gradient w.r.t. dy is the adjoint
 * routing: ddy[o] = ddx[p(o)], a gather at the argmax positions. W.r.t. x and y it is
 * piecewise constant (the argmax only changes at ties), so those gradients are zero,
 * as in TensorFlow's MaxPoolGradGrad.
 *
 * The argmax comes from MaxPoolWithArgmax on the same backend; on cpu both kernels
 * share one routine (ties go to the first maximum), and the adjointness test
 * (⟨MaxPoolGrad(dy), ddx⟩ = ⟨dy, ∇⟩ on inputs full of ties) checks the pairing on
 * every backend we run.
 */
import * as tf from '@tensorflow/tfjs-core';

function argmaxGather(ddx: tf.Tensor, input: tf.Tensor4D, dyShape: number[], attrs: tf.MaxPoolGradAttrs): tf.Tensor {
  if (attrs.dimRoundingMode !== undefined && typeof attrs.pad === 'number') {
    throw new Error(`MaxPoolGrad gradient: dimRoundingMode '${attrs.dimRoundingMode}' is not supported (MaxPoolWithArgmax has none)`);
  }
  if (typeof attrs.pad === 'object') throw new Error('MaxPoolGrad gradient: explicit padding is not supported');
  const { result, indexes } = tf.maxPoolWithArgmax(input, attrs.filterSize, attrs.strides, attrs.pad, true);
  result.dispose();
  try {
    return tf.reshape(tf.gather(tf.reshape(ddx, [-1]), tf.reshape(indexes, [-1])), dyShape);
  } finally {
    indexes.dispose();
  }
}

export const maxPoolGradGradConfig: tf.GradConfig = {
  kernelName: tf.MaxPoolGrad,
  inputsToSave: ['dy', 'input', 'output'],
  gradFunc: (ddx, saved, attrs) => {
    const [dy, input, output] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as tf.MaxPoolGradAttrs;
    return {
      dy: () => argmaxGather(ddx as tf.Tensor, input, dy.shape, a),
      input: () => tf.zerosLike(input),
      output: () => tf.zerosLike(output),
    };
  },
};
