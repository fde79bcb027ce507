/**
 * MaxPoolGrad and AvgPoolGrad for wasm, with the cpu backend's semantics, in one pass over
 * the pooling windows (JavaScript over the wasm heap, or the native addon while one is
 * active, images split over its threads). Both equal cpu's bit for bit
 * (test/pool-grad-kernel.test.ts).
 *
 * Stock wasm's MaxPoolGrad (tfjs 4.22) gets the gradient wrong: its running maximum starts
 * at the smallest *positive* float (`numeric_limits<float>::min()`), so a window whose
 * maximum is ≤ 1.2e-38 (all zeros, all negative) routes its gradient nowhere, where cpu
 * and TensorFlow route it to the window's maximum; it also breaks ties to the last
 * maximum (cpu: the first) and drops windows holding a NaN that cpu routes. On a model
 * that pools before its activation, or after a BatchNorm or a GroupSort, that silently
 * zeroes parts of the input gradient an attack follows. Both stock kernels were also
 * slow, a scan per input pixel: ~50 ms each for a [128, 28, 28, 32] input.
 *
 * As cpu does: a max window's gradient goes to its first strict maximum in row-major
 * window order (a window of NaN or -∞ only gives none); an average window's gradient goes
 * to every input pixel it covers. An input pixel's contributions are summed in double in
 * window order, starting from +0 (for average pooling then times 1/(pool height · pool
 * width) in double), and rounded once.
 */
import { AvgPoolGrad, backend_util, MaxPoolGrad, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { activeNative } from '../native/addon.js';
import { convGeometry } from '../native/conv.js';
import { runStock } from './stock.js';
import { asWasmBackend, f32Index, heapF32 } from './wasm-backend.js';

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

let scratch = new Float64Array(0);

/** The double accumulator for n input floats, zeroed. */
function accumulator(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(n);
  scratch.fill(0, 0, n);
  return scratch;
}

/**
 * Calls fn(window's first dy index, the in-bounds input rows and columns it covers) for
 * every pooling window of one image, in window order.
 */
function forEachWindow(info: backend_util.Conv2DInfo, b: number, fn: (g: number, r0: number, r1: number, c0: number, c1: number) => void): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, dilationHeight: dh, dilationWidth: dw } = info;
  for (let yR = 0; yR < OH; yR++) {
    const rCorner = yR * sh - info.padInfo.top;
    let r0 = rCorner;
    while (r0 < 0) r0 += dh;
    const r1 = Math.min(H, fh + rCorner);
    for (let yC = 0; yC < OW; yC++) {
      const cCorner = yC * sw - info.padInfo.left;
      let c0 = cCorner;
      while (c0 < 0) c0 += dw;
      fn(((b * OH + yR) * OW + yC) * C, r0, r1, c0, Math.min(W, fw + cCorner));
    }
  }
}

/** dx of max-pooling an NHWC x (views with element offsets; dx aliases neither). */
export function maxPoolGradNHWC(
  x: Float32Array, xOff: number, dy: Float32Array, dyOff: number, dx: Float32Array, dxOff: number, info: backend_util.Conv2DInfo,
): void {
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, dilationHeight: dh, dilationWidth: dw } = info;
  const n = batchSize * H * W * C;
  // Without overlap a pixel gets at most one contribution, 0 + dy, which float32 holds
  // exactly: dx is written directly instead of through the double accumulator.
  const overlap = info.strideHeight < info.effectiveFilterHeight || info.strideWidth < info.effectiveFilterWidth;
  const acc = overlap ? accumulator(n) : undefined;
  if (!acc) dx.fill(0, dxOff, dxOff + n);
  const maxV = new Float64Array(C);
  const maxP = new Int32Array(C);
  for (let b = 0; b < batchSize; b++) {
    forEachWindow(info, b, (g, r0, r1, c0, c1) => {
      maxV.fill(Number.NEGATIVE_INFINITY);
      maxP.fill(-1);
      for (let r = r0; r < r1; r += dh) {
        for (let c = c0; c < c1; c += dw) {
          const base = ((b * H + r) * W + c) * C;
          for (let d = 0; d < C; d++) {
            const v = x[xOff + base + d]!;
            if (v > maxV[d]!) {
              maxV[d] = v;
              maxP[d] = base + d;
            }
          }
        }
      }
      for (let d = 0; d < C; d++) {
        const p = maxP[d]!;
        if (p < 0) continue;
        if (acc) acc[p] = acc[p]! + dy[dyOff + g + d]!;
        else dx[dxOff + p] = 0 + dy[dyOff + g + d]!;
      }
    });
  }
  if (acc) for (let i = 0; i < n; i++) dx[dxOff + i] = acc[i]!;
}

/** dx of average-pooling an NHWC input of info's shape (views with element offsets). */
export function avgPoolGradNHWC(dy: Float32Array, dyOff: number, dx: Float32Array, dxOff: number, info: backend_util.Conv2DInfo): void {
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, dilationHeight: dh, dilationWidth: dw } = info;
  const n = batchSize * H * W * C;
  const acc = accumulator(n);
  for (let b = 0; b < batchSize; b++) {
    forEachWindow(info, b, (g, r0, r1, c0, c1) => {
      for (let r = r0; r < r1; r += dh) {
        for (let c = c0; c < c1; c += dw) {
          const base = ((b * H + r) * W + c) * C;
          for (let d = 0; d < C; d++) acc[base + d] = acc[base + d]! + dy[dyOff + g + d]!;
        }
      }
    });
  }
  const mult = 1 / (info.filterHeight * info.filterWidth);
  for (let i = 0; i < n; i++) dx[dxOff + i] = acc[i]! * mult;
}

function poolInfo(input: TensorInfo, attrs: unknown): backend_util.Conv2DInfo {
  const { filterSize, strides, pad, dimRoundingMode } = attrs as PoolAttrs;
  return backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
}

const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { dy, input, output } = inputs as { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  // Other dtypes keep the stock kernel (tfjs' pooling ops take float32 only today).
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') return runStock(MaxPoolGrad, wb, { dy, input, output }, { ...attrs });
  const info = poolInfo(input, attrs);
  const out = wb.makeOutput([...input.shape], 'float32');
  if (util.sizeFromShape(input.shape) === 0) return out;
  const heap = heapF32(wb);
  const addon = activeNative();
  if (addon) addon.maxPoolGrad(heap, convGeometry(info), f32Index(wb, input), f32Index(wb, dy), f32Index(wb, out));
  else maxPoolGradNHWC(heap, f32Index(wb, input), heap, f32Index(wb, dy), heap, f32Index(wb, out), info);
  return out;
};

const avgPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') return runStock(AvgPoolGrad, wb, { dy, input }, { ...attrs });
  const info = poolInfo(input, attrs);
  const out = wb.makeOutput([...input.shape], 'float32');
  if (util.sizeFromShape(input.shape) === 0) return out;
  const heap = heapF32(wb);
  const addon = activeNative();
  if (addon) addon.avgPoolGrad(heap, convGeometry(info), f32Index(wb, dy), f32Index(wb, out));
  else avgPoolGradNHWC(heap, f32Index(wb, dy), heap, f32Index(wb, out), info);
  return out;
};

export const maxPoolGradConfig: KernelConfig = { kernelName: MaxPoolGrad, backendName: 'wasm', kernelFunc: maxPoolGrad };
export const avgPoolGradConfig: KernelConfig = { kernelName: AvgPoolGrad, backendName: 'wasm', kernelFunc: avgPoolGrad };
