/**
 * Conv2DBackpropFilter for wasm (stock tfjs-backend-wasm has none, so no CNN can train).
 *
 * dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*s+kh-pt, ow*s+kw-pl, ci] * dy[n,oh,ow,co] is itself
 * a convolution: input x^T laid out [Ci, H, W, N] (channels-in as batch, batch as channels),
 * filter dy laid out [OH, OW, N, Co], dilation = forward stride, stride 1. One XNNPACK
 * Conv2D call does all the arithmetic; the result [Ci, KH, KW, Co] is reordered to HWIO.
 */
import { backend_util, Conv2DBackpropFilter, util } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { channelsFirstToFilter, swapOuterInner, swapOuterMiddle } from './layout.js';
import { runStock } from './stock.js';
import { asWasmBackend, f32Index, heapF32, release, reshapeInfo, type WasmBackend } from './wasm_backend.js';

type Shape4 = [number, number, number, number];

function backpropFilterNHWC(wb: WasmBackend, x: TensorInfo, dy: TensorInfo, attrs: Conv2DBackpropFilterAttrs): TensorInfo {
  const { strides, pad, dimRoundingMode, filterShape } = attrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as Shape4, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const [n, h, w, ci] = x.shape;
  const [kh, kw, , co] = filterShape;
  const [, oh, ow] = dy.shape;
  util.assert(util.arraysEqual(dy.shape, info.outShape),
    () => `Conv2DBackpropFilter: dy shape ${dy.shape} does not match forward output ${info.outShape}`);
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;

  if (n * oh * ow === 0) {
    const zeros = wb.makeOutput([...filterShape], 'float32');
    heapF32(wb).fill(0, f32Index(wb, zeros), f32Index(wb, zeros) + util.sizeFromShape(filterShape));
    return zeros;
  }

  // Bottom/right padding that makes the correlation exactly KH x KW. It is negative when the
  // forward pass never read the last rows; XNNPACK cannot crop, so those cases compute a
  // slightly taller result and the reorder below drops the extra rows.
  const pb = Math.max(0, kh + (oh - 1) * sh - h - pt);
  const pr = Math.max(0, kw + (ow - 1) * sw - w - pl);
  const outH = h + pt + pb - (oh - 1) * sh;
  const outW = w + pl + pr - (ow - 1) * sw;

  // Both rearrangements are JS loops: the stock Transpose kernel is several times slower.
  const xT = wb.makeOutput([ci, h, w, n], 'float32');
  swapOuterInner(heapF32(wb), f32Index(wb, x), f32Index(wb, xT), n, h * w, ci);
  const dyT = wb.makeOutput([oh, ow, n, co], 'float32');
  swapOuterMiddle(heapF32(wb), f32Index(wb, dy), f32Index(wb, dyT), n, oh * ow, co);
  let corr: TensorInfo | undefined;
  try {
    corr = runStock('Conv2D', wb, { x: xT, filter: dyT }, {
      strides: [1, 1], pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]], dataFormat: 'NHWC',
      dilations: [sh, sw], dimRoundingMode: undefined,
    });
    util.assert(corr.shape[1] === outH && corr.shape[2] === outW, () => 'Conv2DBackpropFilter: unexpected correlation shape');
    if (ci === 1 && outH === kh && outW === kw) {
      const out = reshapeInfo(corr, [...filterShape]);
      corr = undefined;
      return out;
    }
    const out = wb.makeOutput([...filterShape], 'float32');
    channelsFirstToFilter(heapF32(wb), f32Index(wb, corr), f32Index(wb, out), ci, outH, outW, kh, kw, co);
    return out;
  } finally {
    release(wb, xT, dyT, corr);
  }
}

const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as Conv2DBackpropFilterAttrs;
  if (backend_util.convertConv2DDataFormat(a.dataFormat) === 'channelsLast') return backpropFilterNHWC(wb, x, dy, a);
  const xt = runStock('Transpose', wb, { x }, { perm: [0, 2, 3, 1] });
  const dyt = runStock('Transpose', wb, { x: dy }, { perm: [0, 2, 3, 1] });
  try {
    return backpropFilterNHWC(wb, xt, dyt, { ...a, dataFormat: 'NHWC' });
  } finally {
    release(wb, xt, dyt);
  }
};

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
