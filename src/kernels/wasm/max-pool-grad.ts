/**
 * MaxPoolGrad for wasm, with the cpu backend's semantics and in one pass over the windows.
 *
 * Stock wasm's kernel (tfjs 4.22) gets the gradient wrong: its running maximum starts at
 * the smallest *positive* float (`numeric_limits<float>::min()`), so a window whose
 * maximum is ≤ 1.2e-38 (all zeros, all negative) routes its gradient nowhere, where cpu
 * and TensorFlow route it to the window's maximum; it also breaks ties to the last
 * maximum (cpu: the first) and drops windows holding a NaN that cpu routes. On a model
 * that pools before its activation, or after a BatchNorm or a GroupSort, that silently
 * zeroes parts of the input gradient an attack follows. It was also slow: ~50 ms for a
 * [128, 28, 28, 32] input, a scan per input pixel.
 *
 * Here, as cpu does: each window's gradient goes to its first strict maximum in row-major
 * window order (a window of NaN or -∞ only gives none), contributions to an input pixel
 * are summed in double in window order, starting from +0, and rounded once. The result
 * equals cpu's bit for bit (test/max-pool-grad-kernel.test.ts), in JavaScript over the wasm
 * heap, or in the native addon while one is active.
 */
import { backend_util, MaxPoolGrad, util } from '@tensorflow/tfjs-core';
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

/**
 * dx for an NHWC input x of `inShape` from dy over the pooled output, cpu's routing and
 * sums. `x`, `dy` and `dx` are views with element offsets; dx may alias neither.
 */
export function maxPoolGradNHWC(
  x: Float32Array, xOff: number, dy: Float32Array, dyOff: number, dx: Float32Array, dxOff: number, info: backend_util.Conv2DInfo,
): void {
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, dilationHeight: dh, dilationWidth: dw } = info;
  const top = info.padInfo.top, left = info.padInfo.left;
  const n = batchSize * H * W * C;
  // Without overlap each input pixel gets at most one contribution, 0 + dy, which float32
  // holds exactly; with overlap the sums go through double, as cpu's do.
  const overlap = sh < fh || sw < fw;
  if (overlap && scratch.length < n) scratch = new Float64Array(n);
  const acc = overlap ? scratch : undefined;
  if (acc) acc.fill(0, 0, n);
  else dx.fill(0, dxOff, dxOff + n);
  const maxV = new Float64Array(C);
  const maxP = new Int32Array(C);
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < OH; yR++) {
      const rCorner = yR * sh - top;
      let rMin = rCorner;
      while (rMin < 0) rMin += dh;
      const rMax = Math.min(H, fh + rCorner);
      for (let yC = 0; yC < OW; yC++) {
        const cCorner = yC * sw - left;
        let cMin = cCorner;
        while (cMin < 0) cMin += dw;
        const cMax = Math.min(W, fw + cCorner);
        maxV.fill(Number.NEGATIVE_INFINITY);
        maxP.fill(-1);
        for (let r = rMin; r < rMax; r += dh) {
          for (let c = cMin; c < cMax; c += dw) {
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
        const g = dyOff + ((b * OH + yR) * OW + yC) * C;
        for (let d = 0; d < C; d++) {
          const p = maxP[d]!;
          if (p < 0) continue;
          if (acc) acc[p] = acc[p]! + dy[g + d]!;
          else dx[dxOff + p] = 0 + dy[g + d]!;
        }
      }
    }
  }
  if (acc) for (let i = 0; i < n; i++) dx[dxOff + i] = acc[i]!;
}

const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { dy, input, output } = inputs as { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  // Other dtypes keep the stock kernel (tfjs' maxPool takes float32 only today).
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') return runStock(MaxPoolGrad, wb, { dy, input, output }, { ...attrs });
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as PoolAttrs;
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const out = wb.makeOutput([...input.shape], 'float32');
  if (util.sizeFromShape(input.shape) === 0) return out;
  const heap = heapF32(wb);
  const addon = activeNative();
  // The addon runs the same loops in C++, images split over its threads (same bits).
  if (addon) addon.maxPoolGrad(heap, convGeometry(info), f32Index(wb, input), f32Index(wb, dy), f32Index(wb, out));
  else maxPoolGradNHWC(heap, f32Index(wb, input), heap, f32Index(wb, dy), heap, f32Index(wb, out), info);
  return out;
};

export const maxPoolGradConfig: KernelConfig = { kernelName: MaxPoolGrad, backendName: 'wasm', kernelFunc: maxPoolGrad };
