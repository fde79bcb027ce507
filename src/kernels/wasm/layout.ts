/**
 * Data-movement loops over the wasm heap used around XNNPACK calls. The stock wasm
 * Transpose/Pad/StridedSlice kernels run a generic per-element index loop (5-60 ns per
 * element here), slower than these specialised typed-array loops.
 * All offsets are HEAPF32 element indices; the heap view must be taken after allocations.
 */

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

export interface Im2ColGeometry {
  readonly n: number; readonly h: number; readonly w: number; readonly c: number;
  readonly kh: number; readonly kw: number;
  readonly oh: number; readonly ow: number;
  readonly sh: number; readonly sw: number;
  readonly pt: number; readonly pl: number;
}

/**
 * Transposed im2col of an NHWC image: dst[(y, x, ci), (b, i, j)] = src[b, i*sh+y-pt, j*sw+x-pl, ci],
 * zero outside the image. Rows are written contiguously while one input row stays in cache.
 */
export function im2colTransposed(heap: Float32Array, src: number, dst: number, g: Im2ColGeometry): void {
  const { n, h, w, c, kh, kw, oh, ow, sh, sw, pt, pl } = g;
  const cols = n * oh * ow;
  const jLo = (x: number): number => Math.max(0, Math.ceil((pl - x) / sw));
  const jHi = (x: number): number => Math.min(ow, Math.floor((w - 1 + pl - x) / sw) + 1);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const j0 = jLo(x);
      const j1 = Math.max(j0, jHi(x));
      const rowBase = dst + (y * kw + x) * c * cols;
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < oh; i++) {
          const ih = i * sh + y - pt;
          const col = (b * oh + i) * ow;
          if (ih < 0 || ih >= h) {
            for (let ci = 0; ci < c; ci++) heap.fill(0, rowBase + ci * cols + col, rowBase + ci * cols + col + ow);
            continue;
          }
          const inRow = src + (b * h + ih) * w * c;
          for (let ci = 0; ci < c; ci++) {
            const d = rowBase + ci * cols + col;
            if (j0 > 0) heap.fill(0, d, d + j0);
            let s = inRow + (j0 * sw + x - pl) * c + ci;
            const step = sw * c;
            for (let j = j0; j < j1; j++, s += step) heap[d + j] = heap[s];
            if (j1 < ow) heap.fill(0, d + j1, d + ow);
          }
        }
      }
    }
  }
}
