/**
 * Batched matrix multiply that always lands on XNNPACK's fully-connected path.
 *
 * The stock wasm BatchMatMul only uses XNNPACK when neither operand is transposed and both
 * batch sizes are 1; every other case runs a scalar C++ loop (~0.7-2 GFLOP/s versus ~27).
 * Transposed operands are therefore materialised once (an O(n^2) copy against O(n^3) work;
 * a blocked JS loop, since the stock wasm Transpose kernel is 4-10x slower on these
 * shapes), b-broadcast batches are folded into the row dimension,
 * and genuinely batched products are issued one XNNPACK call per batch over heap views.
 */
import { broadcast_util, util } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { activeNative, type NativeAddon } from '../native/addon.js';
import { transposeBatched } from './layout.js';
import { runStock } from './stock.js';
import {
  f32Index, heapF32, makeView, release, releaseView, reshapeInfo,
  type WasmBackend,
} from './wasm-backend.js';

export interface MatMulDims {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** Broadcast batch shape of the output (without the two matrix dims). */
  readonly batchShape: number[];
  readonly outShape: number[];
}

export function matMulDims(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): MatMulDims {
  const ar = a.shape.length;
  const br = b.shape.length;
  const m = transposeA ? a.shape[ar - 1] : a.shape[ar - 2];
  const ka = transposeA ? a.shape[ar - 2] : a.shape[ar - 1];
  const kb = transposeB ? b.shape[br - 1] : b.shape[br - 2];
  const n = transposeB ? b.shape[br - 2] : b.shape[br - 1];
  util.assert(ka === kb, () =>
    `Error in matMul: inner shapes (${ka}) and (${kb}) of Tensors with shapes ${a.shape} and ` +
    `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  const batchShape = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return { m, k: ka, n, batchShape, outShape: [...batchShape, m, n] };
}

function transposeLastTwo(backend: WasmBackend, x: TensorInfo): TensorInfo {
  const r = x.shape.length;
  const rows = x.shape[r - 2];
  const cols = x.shape[r - 1];
  const out = backend.makeOutput([...x.shape.slice(0, -2), cols, rows], 'float32');
  transposeBatched(heapF32(backend), f32Index(backend, x), f32Index(backend, out), util.sizeFromShape(x.shape) / (rows * cols), rows, cols);
  return out;
}

/** Flat index into an operand's batch for each flat output batch index, honouring broadcasting. */
function batchIndexMap(operandBatch: number[], outBatch: number[]): Int32Array {
  const total = util.sizeFromShape(outBatch);
  const map = new Int32Array(total);
  const lead = outBatch.length - operandBatch.length;
  const strides = new Array<number>(operandBatch.length);
  let s = 1;
  for (let d = operandBatch.length - 1; d >= 0; d--) { strides[d] = s; s *= operandBatch[d]; }
  for (let flat = 0; flat < total; flat++) {
    let rem = flat;
    let idx = 0;
    for (let d = outBatch.length - 1; d >= 0; d--) {
      const coord = rem % outBatch[d];
      rem = (rem - coord) / outBatch[d];
      const od = d - lead;
      if (od >= 0 && operandBatch[od] !== 1) idx += coord * strides[od];
    }
    map[flat] = idx;
  }
  return map;
}

/**
 * a·b on the native addon's SGEMM, straight on the heap: transposes are packing flags, a
 * shared b folds batches into rows, other batches are one call each. An optional per-column
 * bias ([n]) and ReLU are applied in the GEMM epilogue.
 */
export function nativeMatMul(
  backend: WasmBackend, addon: NativeAddon, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean,
  bias?: TensorInfo, relu = false,
): TensorInfo {
  const { m, k, n, batchShape, outShape } = matMulDims(a, b, transposeA, transposeB);
  const batch = util.sizeFromShape(batchShape);
  const aBatchShape = a.shape.slice(0, -2);
  const bBatchShape = b.shape.slice(0, -2);
  const out = backend.makeOutput(outShape, 'float32');
  if (batch * m * n === 0) return out;
  const heap = heapF32(backend);
  const aOff = f32Index(backend, a);
  const bOff = f32Index(backend, b);
  const cOff = f32Index(backend, out);
  const biasOff = bias ? f32Index(backend, bias) : -1;
  const act = relu ? 1 : 0;
  const lda = transposeA ? m : k;
  const ldb = transposeB ? k : n;
  if (util.sizeFromShape(bBatchShape) === 1 && !transposeA) {
    const rows = util.sizeFromShape(aBatchShape) * m;
    addon.sgemm(heap, false, transposeB, rows, n, k, 1, aOff, lda, bOff, ldb, 0, cOff, n, biasOff, act);
    return out;
  }
  const aMap = batchIndexMap(aBatchShape, batchShape);
  const bMap = batchIndexMap(bBatchShape, batchShape);
  for (let i = 0; i < batch; i++) {
    addon.sgemm(heap, transposeA, transposeB, m, n, k, 1, aOff + aMap[i] * m * k, lda, bOff + bMap[i] * k * n, ldb,
      0, cOff + i * m * n, n, biasOff, act);
  }
  return out;
}

/**
 * a·b (with optional logical transposes) as a new float32 tensor of shape dims.outShape,
 * owned by the caller. Inputs are not consumed. Runs on the native addon when one is active.
 */
export function fastMatMul(
  backend: WasmBackend, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean,
): TensorInfo {
  const addon = activeNative();
  if (addon) return nativeMatMul(backend, addon, a, b, transposeA, transposeB);
  const dims = matMulDims(a, b, transposeA, transposeB);
  const { m, k, n, batchShape, outShape } = dims;
  const batch = util.sizeFromShape(batchShape);
  const aBatchShape = a.shape.slice(0, -2);
  const bBatchShape = b.shape.slice(0, -2);
  const batchA = util.sizeFromShape(aBatchShape);
  const batchB = util.sizeFromShape(bBatchShape);
  if (batch * m * n === 0 || k === 0) {
    // XNNPACK rejects empty operands; an empty contraction is all zeros.
    const out = backend.makeOutput(outShape, 'float32');
    heapF32(backend).fill(0, f32Index(backend, out), f32Index(backend, out) + batch * m * n);
    return out;
  }

  const at = transposeA ? transposeLastTwo(backend, a) : undefined;
  const bt = transposeB ? transposeLastTwo(backend, b) : undefined;
  const a2 = at ?? a;
  const b2 = bt ?? b;
  try {
    if (batchB === 1) {
      // b is shared by every batch, so the batches stack into one tall GEMM.
      const out = runStock('BatchMatMul', backend,
        { a: reshapeInfo(a2, [1, batchA * m, k]), b: reshapeInfo(b2, [1, k, n]) },
        { transposeA: false, transposeB: false });
      return reshapeInfo(out, outShape);
    }
    const aMap = batchIndexMap(aBatchShape, batchShape);
    const bMap = batchIndexMap(bBatchShape, batchShape);
    const out = backend.makeOutput([batch, m, n], 'float32');
    for (let i = 0; i < batch; i++) {
      const av = makeView(backend, [1, m, k], (f32Index(backend, a2) + aMap[i] * m * k) * 4);
      const bv = makeView(backend, [1, k, n], (f32Index(backend, b2) + bMap[i] * k * n) * 4);
      let r: TensorInfo | undefined;
      try {
        r = runStock('BatchMatMul', backend, { a: av, b: bv }, { transposeA: false, transposeB: false });
        const heap = heapF32(backend);
        const src = f32Index(backend, r);
        heap.copyWithin(f32Index(backend, out) + i * m * n, src, src + m * n);
      } finally {
        release(backend, r);
        releaseView(backend, av);
        releaseView(backend, bv);
      }
    }
    return reshapeInfo(out, outShape);
  } finally {
    release(backend, at, bt);
  }
}
