/**
 * MaxMin (GroupSort-2) as one tfjs kernel with its own gradient. Composed from tfjs ops
 * it is split → maximum, minimum → concat, and on wasm the channel-axis split alone took
 * over a quarter of a MinMax 4C3F training step (SplitV on [512, 28, 28, 32]: ~450 ms of
 * a ~3.4 s step, its concat and comparisons most of the rest of MaxMin's share). One
 * pass over the rows is enough.
 *
 * Kernels: 'cpu' and 'wasm' here (wasm runs on the native addon while one is active, see
 * wasm/max-min.ts); on other backends (webgl, tfjs-node) `maxMinOp` in models/maxmin.ts
 * composes tfjs ops instead. Values and gradients are those of the composition exactly:
 * max/min are exact, and the gradient follows tfjs' maximum/minimum tie rule.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { registerMissing, type SyncBackend } from './register.js';

export const MAX_MIN = 'LipbenchMaxMin';
export const MAX_MIN_GRAD = 'LipbenchMaxMinGrad';

/** y = [max(a, b), min(a, b)] per row of c = 2h values, a and b the row's halves; NaN propagates. */
export function maxMinRows(x: ArrayLike<number>, xOff: number, rows: number, c: number, y: { [i: number]: number }, yOff: number): void {
  const h = c / 2;
  for (let r = 0; r < rows; r++) {
    const a = xOff + r * c;
    const o = yOff + r * c;
    for (let j = 0; j < h; j++) {
      const u = x[a + j]!;
      const v = x[a + h + j]!;
      y[o + j] = Math.max(u, v);
      y[o + h + j] = Math.min(u, v);
    }
  }
}

/**
 * The input gradient: maximum's dy goes to a where a ≥ b, else to b; minimum's to a where
 * a ≤ b, else to b (tfjs' rule, so a tie sends both to a, NaN sends neither).
 */
export function maxMinGradRows(
  x: ArrayLike<number>, xOff: number, dy: ArrayLike<number>, dyOff: number, rows: number, c: number,
  dx: { [i: number]: number }, dxOff: number,
): void {
  const h = c / 2;
  for (let r = 0; r < rows; r++) {
    const a = xOff + r * c;
    const g = dyOff + r * c;
    const o = dxOff + r * c;
    for (let j = 0; j < h; j++) {
      const u = x[a + j]!;
      const v = x[a + h + j]!;
      const gh = dy[g + j]!;
      const gl = dy[g + h + j]!;
      dx[o + j] = (u >= v ? gh : 0) + (u <= v ? gl : 0);
      dx[o + h + j] = (u < v ? gh : 0) + (u > v ? gl : 0);
    }
  }
}

/** [rows, c] of a tensor's shape for MaxMin over its last axis; throws unless c is even. */
export function maxMinRowsOf(shape: readonly number[]): { rows: number; c: number } {
  const c = shape[shape.length - 1] ?? 0;
  if (shape.length === 0 || c % 2 !== 0) throw new Error(`MaxMin: the last axis must have an even size, got shape [${shape.join(', ')}]`);
  return { rows: c === 0 ? 0 : shape.reduce((p, d) => p * d, 1) / c, c };
}

const cpuMaxMin: KernelFunc = ({ inputs, backend: b }) => {
  const backend = b as SyncBackend;
  const { x } = inputs as { x: TensorInfo };
  const { rows, c } = maxMinRowsOf(x.shape);
  const values = backend.readSync(x.dataId) as Float32Array;
  const out = new Float32Array(values.length);
  maxMinRows(values, 0, rows, c, out, 0);
  return backend.makeTensorInfo([...x.shape], 'float32', out);
};

const cpuMaxMinGrad: KernelFunc = ({ inputs, backend: b }) => {
  const backend = b as SyncBackend;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { rows, c } = maxMinRowsOf(x.shape);
  const xs = backend.readSync(x.dataId) as Float32Array;
  const gs = backend.readSync(dy.dataId) as Float32Array;
  const out = new Float32Array(xs.length);
  maxMinGradRows(xs, 0, gs, 0, rows, c, out, 0);
  return backend.makeTensorInfo([...x.shape], 'float32', out);
};

export const cpuMaxMinConfig: KernelConfig = { kernelName: MAX_MIN, backendName: 'cpu', kernelFunc: cpuMaxMin };
export const cpuMaxMinGradConfig: KernelConfig = { kernelName: MAX_MIN_GRAD, backendName: 'cpu', kernelFunc: cpuMaxMinGrad };

/** The halves [a, b] of the last axis, as MaxMin pairs them (also bound propagation's). */
export function lastAxisHalves(t: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const h = t.shape[t.rank - 1]! / 2;
  const begin = t.shape.map(() => 0);
  const size = t.shape.map(() => -1);
  size[t.rank - 1] = h;
  const b2 = [...begin];
  b2[t.rank - 1] = h;
  return [tf.slice(t, begin, size), tf.slice(t, b2, size)];
}

export const maxMinGradConfig: GradConfig = {
  kernelName: MAX_MIN,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    return { x: () => tf.engine().runKernel(MAX_MIN_GRAD, { x, dy: dy as tf.Tensor }) as tf.Tensor };
  },
};

/**
 * The gradient kernel is linear in dy with a 0/1 pattern fixed by x, so its own gradient
 * is that pattern's transpose for dy and zero for x. Composed from ordinary ops, so double
 * backpropagation (gradient penalties) through MaxMin works on every backend.
 */
export const maxMinGradGradConfig: GradConfig = {
  kernelName: MAX_MIN_GRAD,
  inputsToSave: ['x'],
  gradFunc: (g, saved) => {
    const [x] = saved as [tf.Tensor];
    return {
      x: () => tf.zerosLike(x),
      dy: () =>
        tf.tidy(() => {
          const [a, b] = lastAxisHalves(x);
          const [ga, gb] = lastAxisHalves(g as tf.Tensor);
          const zero = tf.zerosLike(ga);
          const gHi = tf.add(tf.where(tf.greaterEqual(a, b), ga, zero), tf.where(tf.less(a, b), gb, zero));
          const gLo = tf.add(tf.where(tf.lessEqual(a, b), ga, zero), tf.where(tf.greater(a, b), gb, zero));
          return tf.concat([gHi, gLo], x.rank - 1);
        }),
    };
  },
};

let registered = false;

/** Registers the cpu kernels and both gradients (idempotent); wasm/max-min.ts adds wasm's. */
export function registerMaxMinKernels(): void {
  if (registered) return;
  registered = true;
  registerMissing([cpuMaxMinConfig, cpuMaxMinGradConfig], [maxMinGradConfig, maxMinGradGradConfig]);
}
