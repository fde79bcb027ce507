/**
 * Conv2DBackpropFilter for wasm (stock tfjs-backend-wasm has none, so no CNN can train).
 *
 * dW[(kh,kw,ci), co] = sum_p cols[(kh,kw,ci), p] * dy[p, co] with p = (n, oh, ow): one GEMM
 * whose right operand is dy exactly as stored, and whose left operand is the transposed
 * im2col of x built by a JS loop. The product lands directly in HWIO order. This beat the
 * "one Conv2D with dilation = stride over transposed x and dy" formulation: that needs x
 * transposed channel-for-batch and XNNPACK re-transposes the dy-sized filter with its slow
 * generic transpose, while XNNPACK's fully-connected path packs a [K, N] operand cheaply.
 */
import { backend_util, Conv2DBackpropFilter, util } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { activeNative } from '../native/addon.js';
import { nativeConv2DBackpropFilter } from '../native/conv.js';
import { im2colTransposed } from './layout.js';
import { runStock } from './stock.js';
import {
  asWasmBackend, f32Index, heapF32, makeView, release, releaseView, reshapeInfo, type WasmBackend,
} from './wasm-backend.js';

type Shape4 = [number, number, number, number];

function backpropFilterNHWC(wb: WasmBackend, x: TensorInfo, dy: TensorInfo, attrs: Conv2DBackpropFilterAttrs): TensorInfo {
  const { strides, pad, dimRoundingMode, filterShape } = attrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as Shape4, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const [n, h, w, c] = x.shape;
  const [kh, kw, , co] = filterShape;
  const [, oh, ow] = dy.shape;
  util.assert(util.arraysEqual(dy.shape, info.outShape),
    () => `Conv2DBackpropFilter: dy shape ${dy.shape} does not match forward output ${info.outShape}`);
  const addon = activeNative();
  if (addon && x.dtype === 'float32' && dy.dtype === 'float32') return nativeConv2DBackpropFilter(wb, addon, x, dy, info);
  const rows = kh * kw * c;
  const p = n * oh * ow;
  if (p === 0) {
    const zeros = wb.makeOutput([...filterShape], 'float32');
    heapF32(wb).fill(0, f32Index(wb, zeros), f32Index(wb, zeros) + util.sizeFromShape(filterShape));
    return zeros;
  }

  const cols = wb.makeOutput([1, rows, p], 'float32');
  im2colTransposed(heapF32(wb), f32Index(wb, x), f32Index(wb, cols), {
    n, h, w, c, kh, kw, oh, ow, sh: info.strideHeight, sw: info.strideWidth, pt: info.padInfo.top, pl: info.padInfo.left,
  });
  // A fresh id for dy: XNNPACK caches the packed right operand per tensor id, and dy must not
  // keep a stale [p, co] operator alive (or be matched later under another shape).
  const dyView = makeView(wb, [1, p, co], f32Index(wb, dy) * 4);
  try {
    const out = runStock('BatchMatMul', wb, { a: cols, b: dyView }, { transposeA: false, transposeB: false });
    return reshapeInfo(out, [...filterShape]);
  } finally {
    releaseView(wb, dyView);
    release(wb, cols);
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
