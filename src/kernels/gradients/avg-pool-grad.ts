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

function adjoint(ddx: tf.Tensor4D, input: tf.Tensor4D, dyShape: number[], attrs: tf.AvgPoolGradAttrs): tf.Tensor4D {
  if (typeof attrs.pad === 'object') throw new Error('AvgPoolGrad gradient: explicit padding is not supported');
  const info = tf.backend_util.computePool2DInfo(input.shape, attrs.filterSize, attrs.strides, 1, attrs.pad);
  const { top, bottom, left, right } = info.padInfo;
  const padded = tf.pad(ddx, [
    [0, 0],
    [top, Math.max(0, bottom)],
    [left, Math.max(0, right)],
    [0, 0],
  ]);
  let out = tf.avgPool(padded as tf.Tensor4D, [info.filterHeight, info.filterWidth], [info.strideHeight, info.strideWidth], 'valid');
  // 'valid' pooling of the padded map can have an extra row/column where TF's padding
  // arithmetic leaves a partial window out; keep exactly the forward's output grid.
  if (out.shape[1] !== dyShape[1] || out.shape[2] !== dyShape[2]) {
    if (out.shape[1] < dyShape[1]! || out.shape[2] < dyShape[2]!) {
      throw new Error(`AvgPoolGrad gradient: pooled shape [${out.shape}] does not cover dy [${dyShape}]`);
    }
    out = tf.slice(out, [0, 0, 0, 0], [-1, dyShape[1]!, dyShape[2]!, -1]);
  }
  return out;
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
