/**
 * Softmax cross-entropy and its gradient on wasm (see ../softmax-ce.ts): the same JavaScript
 * rows as the cpu kernels, over the wasm heap, so both backends give the same values.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { ceRowsOf, SOFTMAX_CE, SOFTMAX_CE_GRAD, softmaxCEGradRows, softmaxCERows } from '../softmax-ce.js';
import { asWasmBackend, byteOffset, f32Index, heapF32 } from './wasm-backend.js';

function check(logits: TensorInfo, labels: TensorInfo, dy?: TensorInfo): void {
  if (logits.dtype !== 'float32' || (dy && dy.dtype !== 'float32')) throw new Error('softmax cross-entropy: float32 logits expected');
  if (labels.dtype !== 'int32') throw new Error(`softmax cross-entropy: int32 labels expected, got ${labels.dtype}`);
}

const ce: KernelFunc = ({ inputs, backend }) => {
  const wb = asWasmBackend(backend);
  const { logits, labels } = inputs as { logits: TensorInfo; labels: TensorInfo };
  check(logits, labels);
  const { rows, c } = ceRowsOf(logits.shape);
  const out = wb.makeOutput([rows], 'float32');
  // After makeOutput: it may have grown (and detached) the heap.
  const heap = heapF32(wb);
  softmaxCERows(heap, f32Index(wb, logits), new Int32Array(heap.buffer), byteOffset(wb, labels) >>> 2, rows, c, heap, f32Index(wb, out));
  return out;
};

const ceGrad: KernelFunc = ({ inputs, backend }) => {
  const wb = asWasmBackend(backend);
  const { logits, labels, dy } = inputs as { logits: TensorInfo; labels: TensorInfo; dy: TensorInfo };
  check(logits, labels, dy);
  const { rows, c } = ceRowsOf(logits.shape);
  const out = wb.makeOutput([rows, c], 'float32');
  const heap = heapF32(wb);
  softmaxCEGradRows(heap, f32Index(wb, logits), new Int32Array(heap.buffer), byteOffset(wb, labels) >>> 2, heap, f32Index(wb, dy),
    rows, c, heap, f32Index(wb, out));
  return out;
};

export const wasmSoftmaxCEConfig: KernelConfig = { kernelName: SOFTMAX_CE, backendName: 'wasm', kernelFunc: ce };
export const wasmSoftmaxCEGradConfig: KernelConfig = { kernelName: SOFTMAX_CE_GRAD, backendName: 'wasm', kernelFunc: ceGrad };
