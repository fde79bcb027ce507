/**
 * Softmax cross-entropy per example, CE(z, y) = log Σⱼ exp(zⱼ − m) + m − z_y with m = maxⱼ zⱼ,
 * as one kernel with its own gradient dy·(softmax(z) − e_y). Composed from tfjs ops
 * (logSumExp, one-hot, multiply, sum) it is ~12 kernels forward and as many backward, and
 * every training step and every attack step pays for them: about a tenth of a training
 * step of the default MLP at batch 128.
 *
 * Rows are computed in double and rounded once, so the values are at least as accurate as
 * the composition's float32 ones (and differ from them in the last bits). A label outside
 * [0, C) contributes z_y = 0, as the one-hot composition gives. Kernels: 'cpu' and 'wasm'
 * (the same JavaScript over the heap); on other backends (webgl, tfjs-node)
 * `softmaxCrossEntropyRows` falls back to the composition. The gradient kernel has its
 * own gradient composed from tfjs ops, so double backpropagation works.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { registerMissing, type SyncBackend } from './register.js';

export const SOFTMAX_CE = 'LipbenchSoftmaxCE';
export const SOFTMAX_CE_GRAD = 'LipbenchSoftmaxCEGrad';

type Out = { [i: number]: number };

/**
 * [m, Σⱼ exp(zⱼ − m)] of the c values at z[base], m their max, in double; each exp(zⱼ − m)
 * also into exps[j] when given (the gradient reuses them rather than computing them again).
 */
function shiftedSum(z: ArrayLike<number>, base: number, c: number, exps?: Float64Array): [number, number] {
  let m = -Infinity;
  for (let j = 0; j < c; j++) m = Math.max(m, z[base + j]!);
  let s = 0;
  for (let j = 0; j < c; j++) {
    const e = Math.exp(z[base + j]! - m);
    if (exps) exps[j] = e;
    s += e;
  }
  return [m, s];
}

/** out[r] = CE of row r of z ([rows, c] at zOff) against labels[lOff + r]. */
export function softmaxCERows(z: ArrayLike<number>, zOff: number, labels: ArrayLike<number>, lOff: number, rows: number, c: number, out: Out, outOff: number): void {
  for (let r = 0; r < rows; r++) {
    const base = zOff + r * c;
    const [m, s] = shiftedSum(z, base, c);
    const y = labels[lOff + r]!;
    const zy = y >= 0 && y < c ? z[base + y]! : 0;
    out[outOff + r] = Math.log(s) + m - zy;
  }
}

/** exp(zⱼ − m) of the row being differentiated, kept so each is computed once (grown as needed). */
let rowExps = new Float64Array(16);

/** dz[r, j] = dy[r]·(softmax(z_r)ⱼ − [j = y_r]). */
export function softmaxCEGradRows(
  z: ArrayLike<number>, zOff: number, labels: ArrayLike<number>, lOff: number, dy: ArrayLike<number>, dyOff: number,
  rows: number, c: number, dz: Out, dzOff: number,
): void {
  if (rowExps.length < c) rowExps = new Float64Array(c);
  const e = rowExps;
  for (let r = 0; r < rows; r++) {
    const base = zOff + r * c;
    // Each exponential kept, not computed again per element (a third of an attack step's CE gradient).
    const [, s] = shiftedSum(z, base, c, e);
    const y = labels[lOff + r]!;
    const g = dy[dyOff + r]!;
    const o = dzOff + r * c;
    for (let j = 0; j < c; j++) dz[o + j] = g * (e[j]! / s - (j === y ? 1 : 0));
  }
}

/** [rows, c] of a logits shape; throws unless it is 2-D. */
export function ceRowsOf(shape: readonly number[]): { rows: number; c: number } {
  if (shape.length !== 2) throw new Error(`softmax cross-entropy: logits must be [N, C], got [${shape.join(', ')}]`);
  return { rows: shape[0]!, c: shape[1]! };
}

const cpuCE: KernelFunc = ({ inputs, backend: b }) => {
  const backend = b as SyncBackend;
  const { logits, labels } = inputs as { logits: TensorInfo; labels: TensorInfo };
  const { rows, c } = ceRowsOf(logits.shape);
  const out = new Float32Array(rows);
  softmaxCERows(backend.readSync(logits.dataId) as Float32Array, 0, backend.readSync(labels.dataId) as Int32Array, 0, rows, c, out, 0);
  return backend.makeTensorInfo([rows], 'float32', out);
};

const cpuCEGrad: KernelFunc = ({ inputs, backend: b }) => {
  const backend = b as SyncBackend;
  const { logits, labels, dy } = inputs as { logits: TensorInfo; labels: TensorInfo; dy: TensorInfo };
  const { rows, c } = ceRowsOf(logits.shape);
  const out = new Float32Array(rows * c);
  softmaxCEGradRows(backend.readSync(logits.dataId) as Float32Array, 0, backend.readSync(labels.dataId) as Int32Array, 0,
    backend.readSync(dy.dataId) as Float32Array, 0, rows, c, out, 0);
  return backend.makeTensorInfo([rows, c], 'float32', out);
};

export const cpuSoftmaxCEConfig: KernelConfig = { kernelName: SOFTMAX_CE, backendName: 'cpu', kernelFunc: cpuCE };
export const cpuSoftmaxCEGradConfig: KernelConfig = { kernelName: SOFTMAX_CE_GRAD, backendName: 'cpu', kernelFunc: cpuCEGrad };

export const softmaxCEGradConfig: GradConfig = {
  kernelName: SOFTMAX_CE,
  inputsToSave: ['logits', 'labels'],
  gradFunc: (dy, saved) => {
    const [logits, labels] = saved as [tf.Tensor, tf.Tensor];
    return {
      logits: () => tf.engine().runKernel(SOFTMAX_CE_GRAD, { logits, labels, dy: dy as tf.Tensor }) as tf.Tensor,
      labels: () => tf.zerosLike(labels),
    };
  },
};

/**
 * The gradient kernel dz = dy·(p − e_y), p = softmax(z), differentiated once more from
 * tfjs ops: ∂/∂dy_r = Σⱼ gⱼ(pⱼ − e_yⱼ) and ∂/∂z_k = dy_r·p_k(g_k − Σⱼ gⱼpⱼ).
 */
export const softmaxCEGradGradConfig: GradConfig = {
  kernelName: SOFTMAX_CE_GRAD,
  inputsToSave: ['logits', 'labels', 'dy'],
  gradFunc: (g, saved) => {
    const [logits, labels, dy] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
    const up = g as tf.Tensor2D;
    return {
      dy: () => tf.tidy(() => {
        const p = tf.softmax(logits);
        return tf.sum(tf.mul(up, tf.sub(p, tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]))), 1);
      }),
      logits: () => tf.tidy(() => {
        const p = tf.softmax(logits);
        const inner = tf.sub(up, tf.sum(tf.mul(up, p), 1, true));
        return tf.mul(tf.reshape(dy, [-1, 1]), tf.mul(p, inner));
      }),
      labels: () => tf.zerosLike(labels),
    };
  },
};

let registered = false;

/** Registers the cpu kernels and both gradients (idempotent); wasm/softmax-ce.ts adds wasm's. */
export function registerSoftmaxCEKernels(): void {
  if (registered) return;
  registered = true;
  registerMissing([cpuSoftmaxCEConfig, cpuSoftmaxCEGradConfig], [softmaxCEGradConfig, softmaxCEGradGradConfig]);
}

/** CE from tfjs ops: the fallback on backends without the kernels, and the reference the kernels are tested against. */
export function softmaxCrossEntropyComposite(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const classLogit = tf.sum(tf.mul(logits, tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1])), 1);
    return tf.sub(tf.logSumExp(logits, 1), classLogit) as tf.Tensor1D;
  });
}

/** Softmax cross-entropy of logits [N, C] against integer labels [N], one value per example. */
export function softmaxCrossEntropyRows(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  registerSoftmaxCEKernels();
  const backend = tf.getBackend();
  if (logits.dtype === 'float32' && tf.getKernel(SOFTMAX_CE, backend) && tf.getKernel(SOFTMAX_CE_GRAD, backend)) {
    return tf.tidy(() => tf.engine().runKernel(SOFTMAX_CE, { logits, labels: labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32') }) as tf.Tensor1D);
  }
  return softmaxCrossEntropyComposite(logits, labels);
}
