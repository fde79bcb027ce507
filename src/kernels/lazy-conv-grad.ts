/**
 * The convolution counterpart of lazy-dense-grad.ts. tfjs' fused conv2d (what every
 * tfjs-layers Conv2D calls) stays fused inside a gradient tape when the activation is
 * linear, and its custom gradient then computes the input, filter and bias gradients
 * eagerly. An attack wants only ∂/∂x, yet every conv layer also ran its filter gradient
 * (a GEMM as large as the forward pass: 9 of the 44 ms of the default `cnn`'s input
 * gradient at batch 128); training never needs ∂/∂x of the first layer.
 *
 * Inside a tape, the linear NHWC case here runs the backend's FusedConv2D kernel under
 * another name (LipbenchConv2D) whose registered gradient is lazy: each input's gradient
 * is the expression tfjs' custom gradient uses, computed only when the tape asks for it.
 *
 * A fused ReLU (`conv2d({activation: 'relu'})`) is not fused by tfjs inside a tape: the
 * convolution, a broadcast bias Add over the whole activation (2.1 ms of a 40 ms CNN step
 * at [128, 28, 28, 32]) and a Relu run as three kernels. Here the bias rides in the
 * convolution's kernel where that kernel adds it after the sum, as the Add would (cpu, and
 * wasm on the native addon; stock XNNPACK starts its sums from the bias, so on plain wasm
 * a biased ReLU conv keeps tfjs' path), and the Relu stays a separate op, whose gradient
 * needs the pre-activation.
 *
 * Forward values and every gradient are tfjs' float32 results bit for bit
 * (test/lazy-conv-grad.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import { ensureKernelCopy, fusedBiasGradient, fusedRoute } from './fused-route.js';
import { activeNative } from './native/addon.js';

/** Set on a FusedConv2D kernelFunc that adds its bias after the sum, exactly as an Add would. */
export const BIAS_AFTER_SUM = 'lipbenchBiasAfterSum';

type FusedConv2d = typeof tf.fused.conv2d;
type FusedConvArgs = Parameters<FusedConv2d>[0];

export const LAZY_CONV = 'LipbenchConv2D';

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  /** The bias's shape, or null without one (the fused kernel ignores this attribute). */
  biasShape: number[] | null;
}

const lazyConvGrad: tf.GradConfig = {
  kernelName: LAZY_CONV,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, biasShape } = attrs as unknown as ConvAttrs;
    const g = dy as tf.Tensor4D;
    // As tfjs' fused conv2d gradient: its ops with NHWC and no rounding mode.
    const grads: Record<string, () => tf.Tensor> = {
      x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: g, filter },
        { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: x.shape } as never) as tf.Tensor,
      filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: g },
        { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: filter.shape } as never) as tf.Tensor,
    };
    if (biasShape) {
      grads['bias'] = () => fusedBiasGradient(biasShape, g);
    }
    return grads;
  },
};

const ones = (v: number | number[] | undefined): boolean => v == null || (Array.isArray(v) ? v.every((d) => d === 1) : v === 1);

/**
 * Whether the backend's FusedConv2D adds the bias after the sum, so conv + bias equals
 * tfjs' Conv2D then Add bit for bit: cpu's does; on wasm, lipbench's native kernel (which
 * says so with BIAS_AFTER_SUM) while the addon is active, not stock XNNPACK.
 */
function biasAddedAfterSum(): boolean {
  const backend = tf.getBackend();
  if (backend === 'cpu') return true;
  const kernel = tf.getKernel(tf.FusedConv2D, backend)?.kernelFunc as { [BIAS_AFTER_SUM]?: boolean } | undefined;
  return backend === 'wasm' && kernel?.[BIAS_AFTER_SUM] === true && activeNative() !== undefined;
}

/**
 * The shapes tfjs' op would accept and this route handles the same way: input channels
 * matching the filter's (tfjs asserts it; a kernel alone may not), and a bias that
 * broadcasts over the output channels only (a bias with a batch axis would reach the
 * filter and input gradients with a dy of the wrong batch).
 */
function plainShapes(x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor | undefined): boolean {
  if (x.rank !== 4 || filter.rank !== 4 || x.shape[3] !== filter.shape[2]) return false;
  return bias == null || bias.rank === 0 || (bias.rank === 1 && (bias.shape[0] === 1 || bias.shape[0] === filter.shape[3]));
}

function lazyFusedConv2d(args: FusedConvArgs): tf.Tensor {
  const x = args.x as tf.Tensor;
  const filter = args.filter as tf.Tensor;
  const bias = args.bias as tf.Tensor | undefined;
  const activation = args.activation ?? 'linear';
  const splitRelu = activation === 'relu' && (args.bias == null || biasAddedAfterSum());
  if (tf.engine().state.gradientDepth === 0 || (activation !== 'linear' && !splitRelu) || args.preluActivationWeights != null ||
      (args.dataFormat ?? 'NHWC') !== 'NHWC' || !ones(args.dilations) || !(x instanceof tf.Tensor) || !(filter instanceof tf.Tensor) ||
      !plainShapes(x, filter, bias) || x.dtype !== 'float32' || filter.dtype !== 'float32' || !ensureKernelCopy(LAZY_CONV, tf.FusedConv2D)) {
    return route.original()(args);
  }
  return tf.tidy(() => {
    const inputs: Record<string, tf.Tensor> = { x, filter };
    if (bias != null) {
      // As tfjs' makeTypesMatch: a float32 bias is passed as is.
      inputs['bias'] = bias.dtype === 'float32' ? bias : tf.cast(bias, 'float32');
    }
    // The attributes tfjs' fused conv2d gives its kernel, plus the bias shape for the gradient.
    const attrs = {
      strides: args.strides, pad: args.pad, dataFormat: 'NHWC', dilations: args.dilations ?? [1, 1], dimRoundingMode: args.dimRoundingMode,
      activation: 'linear', leakyreluAlpha: args.leakyreluAlpha, biasShape: inputs['bias']?.shape ?? null,
    };
    const y = tf.engine().runKernel(LAZY_CONV, inputs, attrs as never) as tf.Tensor;
    return splitRelu ? tf.relu(y) : y;
  });
}

const route = fusedRoute('conv2d', lazyFusedConv2d as FusedConv2d, [lazyConvGrad]);

/** Installs the routing once; false when tfjs' fused namespace cannot be written. */
export function installLazyConvGradients(): boolean {
  return route.install();
}

/** Puts tfjs' own op back (for tests that compare both). */
export function uninstallLazyConvGradients(): void {
  route.uninstall();
}
