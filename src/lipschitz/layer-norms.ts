/**
 * Norms of the linear layers (dense, conv2d) and their registry handlers.
 *
 * operatorSigma: σ_max of the map the layer actually computes. For conv2d that is the
 *   convolution *operator* at the layer's input shape, stride, padding and dilation, by
 *   power iteration with tf.conv2d and its exact adjoint tf.conv2dTranspose (output
 *   shape = the layer's input shape). This is the number the sound product bound uses.
 * reshapedSigma: σ_max of the kernel reshaped to [kh·kw·cin, cout], what spectral
 *   normalization / regularization penalise. It is a different number (it can be
 *   ~√(kh·kw) smaller or somewhat larger than the operator norm) and never called the
 *   operator norm. null for dense, where the two coincide.
 * frobenius: a Frobenius-style bound that is itself provably ≥ the operator norm.
 *   Dense: ‖W‖_F ≥ ‖W‖₂. Conv: ‖K‖_F alone is NOT a bound (a 3×3 stride-1 kernel
 *   with equal taps has operator norm ≈ 3‖K‖_F on large inputs). We use
 *   √m·‖K‖_F with m = m_h·m_w, m_axis = min(k, ⌈((k−1)d+1)/s⌉) the most windows that
 *   read one input pixel (⌈k/s⌉ without dilation). Proof: for output position o with
 *   input window x_o (zero-padded), y_o = K_rᵀ x_o, so by Cauchy–Schwarz per output
 *   channel ‖y_o‖² ≤ ‖K‖_F²‖x_o‖², and Σ_o ‖x_o‖² ≤ m‖x‖² because each pixel appears
 *   in at most m windows. The same argument with ‖K_rᵀx_o‖ ≤ σ(K_r)‖x_o‖ gives the
 *   tighter √m·reshapedSigma, which we use as a cross-check in tests.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { activationFactor, windowOverlap } from './factors.js';
import { activationName, convConfig, requireWeight, type Window2D } from './layer-config.js';
import { matrixSpectralNorm, powerIteration, type PowerIterationOptions, type PowerIterationResult } from './power-iteration.js';
import { registerLayerHandler, type LayerContribution, type LayerNorm } from './registry.js';

export type { LayerNorm } from './registry.js';

export type Conv2DGeometry = Omit<Window2D, 'size'>;

function frobeniusNorm(t: tf.Tensor): number {
  const n = tf.tidy(() => tf.norm(t));
  const v = n.dataSync()[0];
  n.dispose();
  return v;
}

/**
 * The kernel of a dilated conv written as an undilated one: taps spread out with zeros
 * in between. TF's 'same' padding uses the effective size (k−1)d+1 in both cases, so the
 * two convolutions are the same operator, and tfjs' conv2dTranspose (which has no
 * dilation, nor do tfjs' conv gradients) becomes usable as the adjoint.
 */
export function undilateKernel(kernel: tf.Tensor4D, dilations: readonly [number, number]): tf.Tensor4D {
  const [kh, kw, cin, cout] = kernel.shape;
  const [dh, dw] = dilations;
  if (dh === 1 && dw === 1) return tf.clone(kernel);
  return tf.tidy(() => {
    // Interleave zeros: [kh,1,kw,1,..] padded to [kh,dh,kw,dw,..], then cut the tail.
    const k6 = tf.reshape(kernel, [kh, 1, kw, 1, cin, cout]);
    const padded = tf.pad(k6, [[0, 0], [0, dh - 1], [0, 0], [0, dw - 1], [0, 0], [0, 0]]);
    const full = tf.reshape(padded, [kh * dh, kw * dw, cin, cout]);
    return tf.slice(full, [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, cin, cout]) as tf.Tensor4D;
  });
}

/**
 * σ_max of x ↦ conv2d(x, K) on inputs of shape [1,H,W,cin], with tf.conv2dTranspose as
 * the exact adjoint (outputShape = the input shape, so 'same' padding at stride 2 with
 * odd sizes is handled).
 */
export function conv2dOperatorNorm(
  kernel: tf.Tensor4D,
  inputShape: readonly [number, number, number, number],
  geom: Conv2DGeometry,
  opts: PowerIterationOptions = {},
): PowerIterationResult {
  if (inputShape[0] !== 1) throw new Error(`conv2dOperatorNorm: use batch 1, got input shape [${inputShape}]`);
  if (inputShape[3] !== kernel.shape[2]) {
    throw new Error(`conv2dOperatorNorm: input has ${inputShape[3]} channels, kernel expects ${kernel.shape[2]}`);
  }
  const k = undilateKernel(kernel, geom.dilations);
  try {
    return powerIteration(
      (x) => tf.conv2d(x as tf.Tensor4D, k, geom.strides, geom.padding),
      (y) => tf.conv2dTranspose(y as tf.Tensor4D, k, [...inputShape], geom.strides, geom.padding),
      inputShape,
      opts,
    );
  } finally {
    k.dispose();
  }
}

/** σ_max of the kernel reshaped to [kh·kw·cin, cout]. */
export function reshapedKernelNorm(kernel: tf.Tensor4D, opts: PowerIterationOptions = {}): PowerIterationResult {
  const [kh, kw, cin, cout] = kernel.shape;
  const m = tf.reshape(kernel, [kh * kw * cin, cout]) as tf.Tensor2D;
  try {
    return matrixSpectralNorm(m, opts);
  } finally {
    m.dispose();
  }
}

/** Most conv windows that read one input pixel (see module comment). */
export function convOverlap(kernelSize: readonly [number, number], geom: Conv2DGeometry): number {
  return windowOverlap(kernelSize[0], geom.strides[0], geom.dilations[0]) * windowOverlap(kernelSize[1], geom.strides[1], geom.dilations[1]);
}

/** √m·‖K‖_F: a provably sound upper bound on the conv operator norm at any input size. */
export function conv2dFrobeniusBound(kernel: tf.Tensor4D, geom: Conv2DGeometry): number {
  return Math.sqrt(convOverlap([kernel.shape[0], kernel.shape[1]], geom)) * frobeniusNorm(kernel);
}

export function denseLayerNorm(layer: tfl.layers.Layer, opts: PowerIterationOptions = {}): LayerNorm {
  const kernel = requireWeight(layer, 'kernel');
  if (kernel.rank !== 2) throw new Error(`lipschitz: dense layer '${layer.name}' has a rank-${kernel.rank} kernel`);
  // A dense layer on rank>2 inputs applies W to every position: block-diagonal, same σ.
  const r = matrixSpectralNorm(kernel as tf.Tensor2D, opts);
  return {
    layer: layer.name,
    kind: 'dense',
    operatorSigma: r.sigma,
    reshapedSigma: null,
    frobenius: frobeniusNorm(kernel),
    iterations: r.iterations,
    relChange: r.relChange,
  };
}

export function conv2dLayerNorm(layer: tfl.layers.Layer, inputShape: readonly number[], opts: PowerIterationOptions = {}): LayerNorm {
  const kernel = requireWeight(layer, 'kernel');
  if (kernel.rank !== 4) throw new Error(`lipschitz: conv2d layer '${layer.name}' has a rank-${kernel.rank} kernel`);
  if (inputShape.length !== 4) throw new Error(`lipschitz: conv2d layer '${layer.name}' has input shape [${inputShape}], expected NHWC`);
  const geom = convConfig(layer);
  const k = kernel as tf.Tensor4D;
  const op = conv2dOperatorNorm(k, inputShape as [number, number, number, number], geom, opts);
  const reshaped = reshapedKernelNorm(k, opts);
  return {
    layer: layer.name,
    kind: 'conv2d',
    operatorSigma: op.sigma,
    reshapedSigma: reshaped.sigma,
    frobenius: conv2dFrobeniusBound(k, geom),
    iterations: Math.max(op.iterations, reshaped.iterations),
    relChange: Math.max(op.relChange, reshaped.relChange),
  };
}

function withActivation(layer: tfl.layers.Layer, norm: LayerNorm, activation: string): LayerContribution {
  const factor = activationFactor(activation, `layer '${layer.name}'`);
  return { norm, factor, note: `fused ${activation}: ${factor}` };
}

registerLayerHandler('Dense', (layer, ctx) =>
  withActivation(layer, denseLayerNorm(layer, ctx.powerIteration), activationName(layer)),
);
registerLayerHandler('Conv2D', (layer, ctx) =>
  withActivation(layer, conv2dLayerNorm(layer, ctx.inputShape, ctx.powerIteration), convConfig(layer).activation),
);
