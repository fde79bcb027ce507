/**
 * Convolutions on the native addon, reading and writing the wasm heap in place. The
 * forward pass and the filter gradient are implicit-im2col GEMMs; the input gradient is
 * dy * W^T scattered back (col2im) image by image. NHWC only; callers handle the rest.
 */
import { backend_util, util } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { f32Index, heapF32, type WasmBackend } from '../wasm/wasm-backend.js';
import type { NativeAddon } from './addon.js';

export function convGeometry(info: backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.filterHeight, info.filterWidth,
    info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
    info.dilationHeight, info.dilationWidth,
  ]);
}

function zeros(wb: WasmBackend, shape: number[]): TensorInfo {
  const out = wb.makeOutput(shape, 'float32');
  const size = util.sizeFromShape(shape);
  if (size > 0) heapF32(wb).fill(0, f32Index(wb, out), f32Index(wb, out) + size);
  return out;
}

/** y = conv(x, filter) (+ bias per output channel, ReLU when relu). x NHWC, filter HWIO. */
export function nativeConv2D(
  wb: WasmBackend, addon: NativeAddon, x: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo,
  bias: TensorInfo | undefined, relu: boolean,
): TensorInfo {
  const co = info.outChannels;
  if (util.sizeFromShape(info.outShape) === 0) return wb.makeOutput([...info.outShape], 'float32');
  const y = wb.makeOutput([...info.outShape], 'float32');
  addon.conv2d(heapF32(wb), convGeometry(info), f32Index(wb, x), f32Index(wb, filter), co,
    bias ? f32Index(wb, bias) : -1, f32Index(wb, y), relu ? 1 : 0);
  return y;
}

/** dW (HWIO, shape info.filterShape) from x NHWC and dy NHWC. */
export function nativeConv2DBackpropFilter(
  wb: WasmBackend, addon: NativeAddon, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo,
): TensorInfo {
  const filterShape = [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels];
  if (util.sizeFromShape(info.outShape) === 0 || util.sizeFromShape(filterShape) === 0) return zeros(wb, filterShape);
  const dw = wb.makeOutput(filterShape, 'float32');
  addon.conv2dBackpropFilter(heapF32(wb), convGeometry(info), f32Index(wb, x), f32Index(wb, dy), info.outChannels, f32Index(wb, dw));
  return dw;
}

/** dx (NHWC, shape info.inShape) from dy NHWC and the HWIO filter. */
export function nativeConv2DBackpropInput(
  wb: WasmBackend, addon: NativeAddon, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo,
): TensorInfo {
  const inShape = [...info.inShape];
  if (util.sizeFromShape(info.outShape) === 0 || util.sizeFromShape(inShape) === 0) return zeros(wb, inShape);
  const dx = wb.makeOutput(inShape, 'float32');
  addon.conv2dBackpropInput(heapF32(wb), convGeometry(info), f32Index(wb, dy), f32Index(wb, filter), info.outChannels, f32Index(wb, dx));
  return dx;
}
