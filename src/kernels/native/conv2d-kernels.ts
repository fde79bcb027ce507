/**
 * Conv2D and FusedConv2D for wasm that run on the native addon while it is active, and on
 * the stock XNNPACK kernels otherwise (or for NCHW / non-float inputs).
 */
import { backend_util, Conv2D, FusedConv2D } from '@tensorflow/tfjs-core';
import type { Conv2DAttrs, FusedConv2DAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { applyActivation } from '../wasm/fused-mat-mul.js';
import { runStock } from '../wasm/stock.js';
import { asWasmBackend, release } from '../wasm/wasm-backend.js';
import { activeNative } from './addon.js';
import { nativeConv2D } from './conv.js';
import { BIAS_AFTER_SUM } from '../lazy-conv-grad.js';

type Shape4 = [number, number, number, number];

function convInfo(x: TensorInfo, filter: TensorInfo, a: Conv2DAttrs): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, a.strides, a.dilations, a.pad,
    a.dimRoundingMode, false, 'channelsLast');
}

function nhwcFloat(a: Conv2DAttrs, ...ts: TensorInfo[]): boolean {
  return backend_util.convertConv2DDataFormat(a.dataFormat) === 'channelsLast' && ts.every((t) => t.dtype === 'float32');
}

const conv2D: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as Conv2DAttrs;
  const addon = activeNative();
  if (!addon || !nhwcFloat(a, x, filter)) return runStock(Conv2D, wb, { x, filter }, { ...a });
  return nativeConv2D(wb, addon, x, filter, convInfo(x, filter, a), undefined, false);
};

interface FusedInputs { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo }

const fusedConv2D: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { x, filter, bias, preluActivationWeights } = inputs as unknown as FusedInputs;
  const a = attrs as unknown as FusedConv2DAttrs;
  const addon = activeNative();
  if (!addon || !nhwcFloat(a, x, filter)) {
    const stockInputs: Record<string, TensorInfo> = { x, filter };
    if (bias) stockInputs.bias = bias;
    if (preluActivationWeights) stockInputs.preluActivationWeights = preluActivationWeights;
    return runStock(FusedConv2D, wb, stockInputs, { ...a });
  }
  const info = convInfo(x, filter, a);
  const biasFused = !bias || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === info.outChannels);
  const reluFused = biasFused && a.activation === 'relu';
  const conv = nativeConv2D(wb, addon, x, filter, info, biasFused ? bias : undefined, reluFused);
  let withBias = conv;
  if (!biasFused && bias) {
    withBias = runStock('Add', wb, { a: conv, b: bias });
    release(wb, conv);
  }
  if (reluFused) return withBias;
  const out = applyActivation(wb, withBias, a.activation, preluActivationWeights, a.leakyreluAlpha ?? 0.2);
  if (out !== withBias) release(wb, withBias);
  return out;
};

export const nativeConv2DConfig: KernelConfig = { kernelName: Conv2D, backendName: 'wasm', kernelFunc: conv2D };
// The addon adds a bias after the sum (as a separate Add would), which lets
// kernels/lazy-conv-grad.ts keep a ReLU conv's bias in the kernel.
Object.assign(fusedConv2D, { [BIAS_AFTER_SUM]: true });

export const nativeFusedConv2DConfig: KernelConfig = { kernelName: FusedConv2D, backendName: 'wasm', kernelFunc: fusedConv2D };
