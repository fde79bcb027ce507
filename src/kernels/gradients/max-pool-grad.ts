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
 * Where the maximum is (ties!) is the backend kernel's choice, and backends differ:
 * wasm's MaxPoolGrad and MaxPoolWithArgmax break ties differently. So the routing is
 * read from MaxPoolGrad itself: windows whose output indices are congruent modulo
 * ⌈k/s⌉ per axis never overlap, so for each such group g, MaxPoolGrad(1_g, x, y) is a
 * 0/1 mask M_g of the positions the group's windows route to, and
 * ddy[o ∈ g] = Σ_{p ∈ window o} M_g[p]·ddx[p], a sum-pool of M_g ⊙ ddx. That is
 * ⌈kh/sh⌉·⌈kw/sw⌉ kernel calls (one for the usual 2×2/2), exact on every backend; the
 * finite-difference tests use inputs full of ties (ReLU zeros) to hold it to that.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Σ over each pooling window of t (zero padding as the forward pooled), [N,OH,OW,C]. */
export function windowSums(t: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, outShape: readonly number[]): tf.Tensor4D {
  const { top, bottom, left, right } = info.padInfo;
  const padded = tf.pad(t, [
    [0, 0],
    [top, Math.max(0, bottom)],
    [left, Math.max(0, right)],
    [0, 0],
  ]);
  let out = tf.avgPool(padded as tf.Tensor4D, [info.filterHeight, info.filterWidth], [info.strideHeight, info.strideWidth], 'valid');
  // 'valid' pooling of the padded map can have an extra row/column where TF's padding
  // arithmetic leaves a partial window out; keep exactly the forward's output grid.
  if (out.shape[1] !== outShape[1] || out.shape[2] !== outShape[2]) {
    if (out.shape[1] < outShape[1]! || out.shape[2] < outShape[2]!) {
      throw new Error(`pooling gradient: pooled shape [${out.shape}] does not cover the output [${outShape}]`);
    }
    out = tf.slice(out, [0, 0, 0, 0], [-1, outShape[1]!, outShape[2]!, -1]);
  }
  return tf.mul(out, info.filterHeight * info.filterWidth);
}

function routedAdjoint(ddx: tf.Tensor4D, input: tf.Tensor4D, output: tf.Tensor4D, attrs: tf.MaxPoolGradAttrs): tf.Tensor4D {
  if (typeof attrs.pad === 'object') throw new Error('MaxPoolGrad gradient: explicit padding is not supported');
  const info = tf.backend_util.computePool2DInfo(input.shape, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const [, oh, ow] = output.shape;
  const gh = Math.ceil(info.filterHeight / info.strideHeight);
  const gw = Math.ceil(info.filterWidth / info.strideWidth);
  let ddy = tf.zerosLike(output);
  for (let a = 0; a < gh; a++) {
    for (let b = 0; b < gw; b++) {
      const ind = new Float32Array(oh * ow);
      for (let i = a; i < oh; i += gh) for (let j = b; j < ow; j += gw) ind[i * ow + j] = 1;
      const group = tf.tensor4d(ind, [1, oh, ow, 1]);
      const dyGroup = tf.broadcastTo(group, output.shape);
      const routed = tf.engine().runKernel(tf.MaxPoolGrad, { dy: dyGroup, input, output }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
      ddy = tf.add(ddy, tf.mul(windowSums(tf.mul(routed, ddx), info, output.shape), group));
    }
  }
  return ddy;
}

export const maxPoolGradGradConfig: tf.GradConfig = {
  kernelName: tf.MaxPoolGrad,
  inputsToSave: ['dy', 'input', 'output'],
  gradFunc: (ddx, saved, attrs) => {
    const [, input, output] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as tf.MaxPoolGradAttrs;
    return {
      dy: () => routedAdjoint(ddx as tf.Tensor4D, input, output, a),
      input: () => tf.zerosLike(input),
      output: () => tf.zerosLike(output),
    };
  },
};
