/**
 * _FusedMatMul for wasm. The stock kernel shares BatchMatMul's scalar fallback for
 * transposes and batches, and in that fallback indexes a rank-1 bias by the flattened
 * output position, so only the plain 2-D, per-column-bias case is handed to it. Everything
 * else runs the XNNPACK GEMM from mat-mul-core followed by separate bias/activation kernels.
 */
import { _FusedMatMul, util } from '@tensorflow/tfjs-core';
import type { _FusedMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { activeNative } from '../native/addon.js';
import { fastMatMul, matMulDims, nativeMatMul } from './mat-mul-core.js';
import { runStock } from './stock.js';
import { asWasmBackend, release, type WasmBackend } from './wasm-backend.js';

interface FusedInputs {
  a: TensorInfo;
  b: TensorInfo;
  bias?: TensorInfo;
  preluActivationWeights?: TensorInfo;
}

/** Activations the XNNPACK path of the stock kernel applies itself (clamps and PReLU). */
const STOCK_FUSABLE = new Set(['linear', 'relu', 'relu6']);

export function applyActivation(
  backend: WasmBackend, x: TensorInfo, activation: string, alpha: TensorInfo | undefined, leakyreluAlpha: number,
): TensorInfo {
  switch (activation) {
    case 'linear': return x;
    case 'relu': return runStock('Relu', backend, { x });
    case 'relu6': return runStock('Relu6', backend, { x });
    case 'elu': return runStock('Elu', backend, { x });
    case 'sigmoid': return runStock('Sigmoid', backend, { x });
    case 'leakyrelu': return runStock('LeakyRelu', backend, { x }, { alpha: leakyreluAlpha });
    case 'prelu': {
      if (!alpha) throw new Error('prelu activation needs preluActivationWeights');
      return runStock('Prelu', backend, { x, alpha });
    }
    default: throw new Error(`activation ${activation} is not supported by _FusedMatMul on wasm`);
  }
}

const fusedMatMul: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { a, b, bias, preluActivationWeights } = inputs as unknown as FusedInputs;
  const { transposeA, transposeB, activation, leakyreluAlpha } = attrs as unknown as _FusedMatMulAttrs;
  const dims = matMulDims(a, b, transposeA, transposeB);
  const addon = activeNative();
  if (addon && a.dtype === 'float32' && b.dtype === 'float32') {
    // Native SGEMM with a per-column bias and ReLU fused into its epilogue.
    const biasFused = bias == null || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === dims.n);
    const reluFused = biasFused && activation === 'relu';
    const prod = nativeMatMul(wb, addon, a, b, transposeA, transposeB, biasFused ? bias : undefined, reluFused);
    let withBias = prod;
    if (!biasFused && bias) {
      withBias = runStock('Add', wb, { a: prod, b: bias });
      release(wb, prod);
    }
    if (reluFused) return withBias;
    const out = applyActivation(wb, withBias, activation, preluActivationWeights, leakyreluAlpha ?? 0.2);
    if (out !== withBias) release(wb, withBias);
    return out;
  }
  const plain = !transposeA && !transposeB && util.sizeFromShape(dims.batchShape) === 1
    && a.shape.length === 3 && b.shape.length === 3;
  const biasPerColumn = bias == null || (bias.shape.length === 1 && bias.shape[0] === dims.n);
  if (plain && biasPerColumn && STOCK_FUSABLE.has(activation) && a.dtype === 'float32' && b.dtype === 'float32') {
    const stockInputs: Record<string, TensorInfo> = { a, b };
    if (bias) stockInputs.bias = bias;
    return runStock(_FusedMatMul, wb, stockInputs, { transposeA, transposeB, activation, leakyreluAlpha });
  }

  const prod = fastMatMul(wb, a, b, transposeA, transposeB);
  let withBias = prod;
  if (bias) {
    withBias = runStock('Add', wb, { a: prod, b: bias });
    release(wb, prod);
  }
  const out = applyActivation(wb, withBias, activation, preluActivationWeights, leakyreluAlpha ?? 0.2);
  if (out !== withBias) release(wb, withBias);
  return out;
};

export const fusedMatMulConfig: KernelConfig = {
  kernelName: _FusedMatMul,
  backendName: 'wasm',
  kernelFunc: fusedMatMul,
};
