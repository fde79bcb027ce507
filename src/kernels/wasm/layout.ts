/**
 * Data-movement loops over the wasm heap used around XNNPACK calls. The stock wasm
 * Transpose/Pad/StridedSlice kernels run a generic per-element index loop (5-60 ns per
 * element here), slower than these specialised typed-array loops.
 * All offsets are HEAPF32 element indices; the heap view must be taken after allocations.
 */

/** [A, P, B] -> [B, P, A]: swaps the outer and inner axes around a shared middle axis. */
export function swapOuterInner(heap: Float32Array, src: number, dst: number, a: number, p: number, b: number): void {
  const dstStrideB = p * a;
  for (let j = 0; j < p; j++) {
    for (let i = 0; i < a; i++) {
      const s = src + (i * p + j) * b;
      let d = dst + j * a + i;
      for (let c = 0; c < b; c++, d += dstStrideB) heap[d] = heap[s + c];
    }
  }
}

/** [C, KH, KW, Co] (possibly taller/wider than needed) -> [KH, KW, C, Co], cropping to KH x KW. */
export function channelsFirstToFilter(
  heap: Float32Array, src: number, dst: number,
  c: number, srcH: number, srcW: number, kh: number, kw: number, co: number,
): void {
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let ci = 0; ci < c; ci++) {
        const s = src + ((ci * srcH + y) * srcW + x) * co;
        const d = dst + ((y * kw + x) * c + ci) * co;
        heap.copyWithin(d, s, s + co);
      }
    }
  }
}

export interface PhaseWindow {
  /** Rows (or columns) of the phase result to copy. */
  readonly count: number;
  /** First row of the phase result to copy. */
  readonly srcStart: number;
  /** Full extent of the phase result along this axis. */
  readonly srcExtent: number;
  /** Destination row of the first copied row, and the step between copied rows. */
  readonly dstStart: number;
  readonly dstStep: number;
}

/**
 * Writes one output phase into its interleaved positions:
 * dst[n, h.dstStart + i*h.dstStep, w.dstStart + j*w.dstStep, :] = src[n, h.srcStart + i, w.srcStart + j, :].
 */
export function scatterPhase(
  heap: Float32Array, src: number, dst: number, batch: number, dstH: number, dstW: number,
  channels: number, h: PhaseWindow, w: PhaseWindow,
): void {
  const c = channels;
  for (let n = 0; n < batch; n++) {
    for (let i = 0; i < h.count; i++) {
      const srcRow = src + ((n * h.srcExtent + h.srcStart + i) * w.srcExtent + w.srcStart) * c;
      const dstRow = dst + ((n * dstH + h.dstStart + i * h.dstStep) * dstW + w.dstStart) * c;
      if (w.dstStep === 1) {
        heap.copyWithin(dstRow, srcRow, srcRow + w.count * c);
        continue;
      }
      const dstPix = w.dstStep * c;
      for (let j = 0; j < w.count; j++) {
        const s = srcRow + j * c;
        const d = dstRow + j * dstPix;
        for (let k = 0; k < c; k++) heap[d + k] = heap[s + k];
      }
    }
  }
}

/**
 * dst[b] = src[b]^T for `batch` row-major [rows, cols] matrices. Cache-blocked: the stock
 * wasm Transpose kernel takes ~75 ms for 1024x1024 here (power-of-two strides thrash its
 * naive loop) against ~20 ms for this.
 */
export function transposeBatched(heap: Float32Array, src: number, dst: number, batch: number, rows: number, cols: number): void {
  const B = 32;
  const size = rows * cols;
  for (let b = 0; b < batch; b++) {
    const s0 = src + b * size;
    const d0 = dst + b * size;
    for (let i0 = 0; i0 < rows; i0 += B) {
      const i1 = Math.min(i0 + B, rows);
      for (let j0 = 0; j0 < cols; j0 += B) {
        const j1 = Math.min(j0 + B, cols);
        for (let i = i0; i < i1; i++) {
          let s = s0 + i * cols + j0;
          let d = d0 + j0 * rows + i;
          for (let j = j0; j < j1; j++, s++, d += rows) heap[d] = heap[s];
        }
      }
    }
  }
}

/** [A, P, C] -> [P, A, C]: moves whole C-element rows, so each move is a memmove. */
export function swapOuterMiddle(heap: Float32Array, src: number, dst: number, a: number, p: number, c: number): void {
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < p; j++) {
      const s = src + (i * p + j) * c;
      heap.copyWithin(dst + (j * a + i) * c, s, s + c);
    }
  }
}
