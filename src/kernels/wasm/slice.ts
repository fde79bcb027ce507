/**
 * Slice for wasm that copies only the selected region, inside the heap.
 *
 * The stock kernel starts with `backend.readSync(x)`, which copies the *whole* source out
 * of the wasm heap into a fresh JS array before taking the slice. Batching a 10k-image
 * MNIST split into slices of 250 therefore copied 31 MB per batch (32 ms each, measured),
 * and reading one element of a 1024x1024 result cost 14 ms. Here the selection is split
 * into maximal contiguous runs and each run is a `copyWithin` on the heap bytes: no
 * allocation, no work proportional to the unselected part.
 */
import { Slice, slice_util, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, SliceAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { runStock } from './stock.js';
import { asWasmBackend, byteOffset } from './wasm-backend.js';

/**
 * Contiguous runs of a row-major slice: `run` elements each, starting at the flat source
 * offsets this returns in output order. Trailing axes taken whole are folded into the run.
 */
export function sliceRuns(shape: readonly number[], begin: readonly number[], size: readonly number[]): { run: number; starts: number[] } {
  const rank = shape.length;
  const strides = util.computeStrides([...shape]);
  const stride = (d: number): number => (d === rank - 1 ? 1 : strides[d]);
  // Fold axes from the innermost outwards while the slice covers them completely.
  let inner = rank;
  let run = 1;
  while (inner > 0 && size[inner - 1] === shape[inner - 1]) { inner--; run *= shape[inner]; }
  if (inner > 0) { inner--; run *= size[inner]; }
  const outer = inner; // axes [0, outer) are iterated; axis `outer` (if any) starts the run
  let base = 0;
  for (let d = 0; d < rank; d++) base += begin[d] * stride(d);
  const starts: number[] = [];
  const count = util.sizeFromShape(size.slice(0, outer) as number[]);
  const idx = new Array<number>(outer).fill(0);
  let off = base;
  for (let i = 0; i < count; i++) {
    starts.push(off);
    // Odometer over the outer axes.
    for (let d = outer - 1; d >= 0; d--) {
      idx[d]++;
      off += stride(d);
      if (idx[d] < size[d]) break;
      off -= idx[d] * stride(d);
      idx[d] = 0;
    }
  }
  return { run, starts };
}

const slice: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { x } = inputs as { x: TensorInfo };
  const { begin, size } = attrs as unknown as SliceAttrs;
  // Strings live outside the heap; complex64 is two tensors. Both keep the stock kernel.
  if (x.dtype === 'string' || x.dtype === 'complex64') return runStock(Slice, wb, { x }, { begin, size });
  const bytes = util.bytesPerElement(x.dtype);
  const [begin_, size_] = slice_util.parseSliceParams(x, begin, size);
  const out = wb.makeOutput(size_, x.dtype);
  if (util.sizeFromShape(size_) === 0) return out;
  // After makeOutput: it may have grown (and detached) the heap.
  const heap = wb.wasm.HEAPU8;
  const src = byteOffset(wb, x);
  let dst = byteOffset(wb, out);
  const { run, starts } = sliceRuns(x.shape, begin_, size_);
  const runBytes = run * bytes;
  for (const s of starts) {
    heap.copyWithin(dst, src + s * bytes, src + s * bytes + runBytes);
    dst += runBytes;
  }
  return out;
};

export const sliceConfig: KernelConfig = {
  kernelName: Slice,
  backendName: 'wasm',
  kernelFunc: slice,
};
