/**
 * Gradient of AvgPoolGrad, which tfjs 4.22 lacks: needed for double backpropagation
 * through average pooling.
 *
 * AvgPoolGrad(dy, x) spreads dy[o]/(kh·kw) over window o, padded positions dropped:
 * tfjs divides by the full window size even where a 'same' window is clipped at the
 * border (unlike its AvgPool forward, which divides by the clipped count, so the two
 * are not exact adjoints there). Being linear in dy, its gradient w.r.t. dy is its own
 * adjoint: ddy[o] = Σ_{p ∈ window o} ddx[p] / (kh·kw), i.e. a 'valid' average pool of
 * ddx zero-padded as the forward was. That is exact for every padding, which a plain
 * avgPool(ddx, 'same') would not be at the borders. The input x only provides the
 * shape, so its gradient is zero.
 */
import * as tf from '@tensorflow/tfjs-core';
import { windowSums } from './max-pool-grad.js';

function adjoint(ddx: tf.Tensor4D, input: tf.Tensor4D, dyShape: number[], attrs: tf.AvgPoolGradAttrs): tf.Tensor4D {
  if (typeof attrs.pad === 'object') throw new Error('AvgPoolGrad gradient: explicit padding is not supported');
  const info = tf.backend_util.computePool2DInfo(input.shape, attrs.filterSize, attrs.strides, 1, attrs.pad);
  return tf.div(windowSums(ddx, info, dyShape), info.filterHeight * info.filterWidth);
}

export const avgPoolGradGradConfig: tf.GradConfig = {
  kernelName: tf.AvgPoolGrad,
  inputsToSave: ['dy', 'input'],
  gradFunc: (ddx, saved, attrs) => {
    const [dy, input] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as tf.AvgPoolGradAttrs;
    return {
      dy: () => adjoint(ddx as tf.Tensor4D, input, dy.shape, a),
      input: () => tf.zerosLike(input),
    };
  },
};
