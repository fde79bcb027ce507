/**
 * Conv2DBackpropInput (transposed convolution) for wasm on XNNPACK.
 *
 * The stock kernel is a naive C++ loop. A transposed conv with stride s is, for each output
 * phase (ih + pad) mod s, a stride-1 convolution of dy with the sub-filter of taps
 * kh = phase + s*t, rotated 180 degrees with in/out channels swapped. Splitting by phase
 * avoids the s^2-fold work of convolving a zero-dilated dy. With stride 1 there is one
 * phase whose result is dx itself; otherwise phases are interleaved into dx.
 */
import { backend_util, Conv2DBackpropInput, util } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { activeNative } from '../native/addon.js';
import { nativeConv2DBackpropInput } from '../native/conv.js';
import { scatterPhase, type PhaseWindow } from './layout.js';
import { runStock } from './stock.js';
import { asWasmBackend, f32Index, heapF32, release, type WasmBackend } from './wasm-backend.js';

type Shape4 = [number, number, number, number];

/** One output phase along one spatial axis. */
interface Phase {
  /** Filter taps phase + stride*t, t < taps, that land on this phase. */
  readonly taps: number;
  readonly first: number;
  readonly window: PhaseWindow;
  /** Zero padding of dy for the stride-1 conv producing this phase. */
  readonly padLo: number;
  readonly padHi: number;
}

function phasesAlong(inSize: number, k: number, s: number, padBefore: number, outSize: number): Phase[] {
  const phases: Phase[] = [];
  for (let p = 0; p < s; p++) {
    // Positions q with ih = q*s + p - padBefore inside [0, inSize).
    const q0 = Math.ceil((padBefore - p) / s);
    const q1 = Math.floor((inSize - 1 + padBefore - p) / s);
    const count = Math.max(0, q1 - q0 + 1);
    const taps = p < k ? Math.ceil((k - p) / s) : 0;
    const padLo = Math.max(0, taps - 1 - q0);
    const padHi = Math.max(0, q1 - (outSize - 1));
    phases.push({
      taps, first: p, padLo, padHi,
      window: {
        count,
        srcStart: q0 - taps + 1 + padLo,
        srcExtent: outSize + padLo + padHi - taps + 1,
        dstStart: q0 * s + p - padBefore,
        dstStep: s,
      },
    });
  }
  return phases;
}

/** G[th, tw, co, ci] = W[ph.first + s*(Th-1-th), pw.first + s*(Tw-1-tw), ci, co]. */
function subFilter(wb: WasmBackend, filter: TensorInfo, ph: Phase, pw: Phase, sh: number, sw: number): TensorInfo {
  const [, kw, ci, co] = filter.shape;
  const g = wb.makeOutput([ph.taps, pw.taps, co, ci], 'float32');
  const heap = heapF32(wb);
  const src = f32Index(wb, filter);
  let d = f32Index(wb, g);
  for (let th = 0; th < ph.taps; th++) {
    const y = ph.first + sh * (ph.taps - 1 - th);
    for (let tw = 0; tw < pw.taps; tw++) {
      const x = pw.first + sw * (pw.taps - 1 - tw);
      const base = src + (y * kw + x) * ci * co;
      for (let o = 0; o < co; o++) {
        for (let i = 0; i < ci; i++) heap[d++] = heap[base + i * co + o];
      }
    }
  }
  return g;
}

function backpropInputNHWC(wb: WasmBackend, dy: TensorInfo, filter: TensorInfo, attrs: Conv2DBackpropInputAttrs): TensorInfo {
  const { inputShape, strides, pad, dimRoundingMode } = attrs;
  const info = backend_util.computeConv2DInfo(
    inputShape, filter.shape as Shape4, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const addon = activeNative();
  if (addon && dy.dtype === 'float32' && filter.dtype === 'float32') return nativeConv2DBackpropInput(wb, addon, dy, filter, info);
  const [n, h, w, ci] = inputShape;
  const [kh, kw] = filter.shape;
  const [, oh, ow] = dy.shape;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const rows = phasesAlong(h, kh, sh, info.padInfo.top, oh);
  const cols = phasesAlong(w, kw, sw, info.padInfo.left, ow);

  const conv = (ph: Phase, pw: Phase): TensorInfo => {
    const g = subFilter(wb, filter, ph, pw, sh, sw);
    try {
      return runStock('Conv2D', wb, { x: dy, filter: g }, {
        strides: [1, 1], pad: [[0, 0], [ph.padLo, ph.padHi], [pw.padLo, pw.padHi], [0, 0]],
        dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined,
      });
    } finally {
      release(wb, g);
    }
  };

  const live = n * oh * ow > 0;
  if (live && rows.length === 1 && cols.length === 1) {
    const [r] = rows;
    const [c] = cols;
    if (r.taps > 0 && c.taps > 0 && r.window.srcStart === 0 && r.window.srcExtent === h
      && c.window.srcStart === 0 && c.window.srcExtent === w) {
      return conv(r, c);
    }
  }

  const dx = wb.makeOutput([...inputShape], 'float32');
  const covered = live && rows.every((r) => r.window.count === 0 || r.taps > 0)
    && cols.every((c) => c.window.count === 0 || c.taps > 0);
  if (!covered) heapF32(wb).fill(0, f32Index(wb, dx), f32Index(wb, dx) + util.sizeFromShape(inputShape));
  if (!live) return dx;
  for (const r of rows) {
    if (r.taps === 0 || r.window.count === 0) continue;
    for (const c of cols) {
      if (c.taps === 0 || c.window.count === 0) continue;
      const part = conv(r, c);
      try {
        scatterPhase(heapF32(wb), f32Index(wb, part), f32Index(wb, dx), n, h, w, ci, r.window, c.window);
      } finally {
        release(wb, part);
      }
    }
  }
  return dx;
}

const conv2DBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as Conv2DBackpropInputAttrs;
  if (backend_util.convertConv2DDataFormat(a.dataFormat) !== 'channelsLast') {
    return runStock(Conv2DBackpropInput, wb, { dy, filter }, { ...a });
  }
  return backpropInputNHWC(wb, dy, filter, a);
};

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput,
};
