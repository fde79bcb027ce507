/**
 * kernels/cpu/broadcast.ts: the cpu backend's Add, Sub, Multiply and RealDiv of float32
 * tensors, broadcasting along any axes, equal the stock tfjs-cpu kernels bit for bit
 * (values with NaN, ±∞, ±0 and subnormals), leave other dtypes to them, and are
 * what tf.add & co. run once registered (initBackend registers them). Also checked independently of tfjs: every element
 * against its own index arithmetic.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Add, Multiply, RealDiv, Sub } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { broadcastBinary, registerCpuBroadcastKernels, stockCpuBinary } from '../src/kernels/cpu/broadcast.js';
import { initBackend } from '../src/node/backend.js';

const NAMES = [Add, Sub, Multiply, RealDiv] as const;

/** The attacks' per-example factors, both-sided broadcasts (tfjs-cpu's general path), then its fast ones. */
const PAIRS: [number[], number[]][] = [
  [[7, 28, 28, 1], [7, 1, 1, 1]],
  [[7, 1, 1, 1], [7, 28, 28, 1]],
  [[5, 3, 4], [5, 1, 4]],
  [[3, 1, 5], [1, 4, 1]],
  [[2, 3, 1, 4], [3, 6, 1]],
  [[6, 10], [6, 1]],
  [[1, 9], [4, 1]],
  [[4, 1, 1], [1, 3, 2]],
  [[2, 1, 3, 1, 2], [2, 5, 1, 4, 1]],
  [[4, 5], [4, 5]],
  [[4, 5], []],
  [[], [3, 2]],
  [[3, 4, 5], [4, 5]],
  [[], []],
  [[0, 3], [1, 3]],
];

/** Deterministic values with the float32 cases that matter. */
function values(n: number, seed: number): Float32Array {
  const special = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -3e-39, 3.4e38, 1, -1];
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s % 11 === 0 ? special[(s >>> 8) % special.length]! : ((s / 2 ** 32) - 0.5) * 2 ** ((s >>> 4) % 20 - 10);
  }
  return out;
}

function bits(v: Float32Array): number[] {
  return Array.from(v, (x) => (Number.isNaN(x) ? -1 : new Uint32Array(new Float32Array([x]).buffer)[0]!));
}

function size(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** The broadcast by definition: each output location maps to each operand's location. */
function reference(name: (typeof NAMES)[number], aShape: number[], a: Float32Array, bShape: number[], b: Float32Array): Float32Array {
  const r = Math.max(aShape.length, bShape.length);
  const pa = [...Array(r - aShape.length).fill(1), ...aShape], pb = [...Array(r - bShape.length).fill(1), ...bShape];
  const shape = pa.map((d, i) => (d === 1 ? pb[i]! : d));
  const out = new Float32Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    let rest = i, ia = 0, ib = 0, sa = 1, sb = 1;
    for (let d = r - 1; d >= 0; d--) {
      const c = rest % shape[d]!;
      rest = Math.floor(rest / shape[d]!);
      if (pa[d] !== 1) ia += c * sa;
      if (pb[d] !== 1) ib += c * sb;
      sa *= pa[d]!;
      sb *= pb[d]!;
    }
    const x = a[ia]!, y = b[ib]!;
    out[i] = name === Add ? x + y : name === Sub ? x - y : name === Multiply ? x * y : x / y;
  }
  return out;
}

describe('cpu broadcast kernels', () => {
  before(async () => {
    await initBackend('cpu');
    registerCpuBroadcastKernels();
  });

  it('equal the stock kernels and the definition, bit for bit, and are what tf.add & co. run', () => {
    const backend = tf.backend();
    for (const [k, [aShape, bShape]] of PAIRS.entries()) {
      const a = values(size(aShape), 2 * k + 1), b = values(size(bShape), 2 * k + 2);
      const ta = tf.tensor(a, aShape, 'float32'), tb = tf.tensor(b, bShape, 'float32');
      for (const name of NAMES) {
        const ours = broadcastBinary(name, aShape, a, bShape, b);
        const stockOut = stockCpuBinary(name)({ inputs: { a: ta, b: tb }, attrs: {}, backend }) as TensorInfo;
        const stockVals = backend.readSync(stockOut.dataId) as Float32Array;
        backend.disposeData(stockOut.dataId);
        const what = `${name} ${JSON.stringify(aShape)} ${JSON.stringify(bShape)}`;
        assert.deepEqual(ours.shape, stockOut.shape, what);
        assert.deepEqual(bits(ours.values), bits(stockVals), `${what}: against the stock kernel`);
        assert.deepEqual(bits(ours.values), bits(reference(name, aShape, a, bShape, b)), `${what}: against the definition`);
        const op = name === Add ? tf.add : name === Sub ? tf.sub : name === Multiply ? tf.mul : tf.div;
        const viaTf = op(ta, tb);
        assert.deepEqual(bits(viaTf.dataSync() as Float32Array), bits(ours.values), `${what}: through tf`);
        viaTf.dispose();
      }
      tf.dispose([ta, tb]);
    }
  });

  it('leave int32 to the stock kernels, and leak no tensor', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const i = tf.mul(tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32'), tf.tensor([[2], [3]], [2, 1], 'int32'));
      assert.equal(i.dtype, 'int32');
      assert.deepEqual(Array.from(i.dataSync()), [2, 4, 9, 12]);
      const s = tf.add(tf.ones([3, 2]), tf.scalar(2));
      assert.deepEqual(Array.from(s.dataSync()), [3, 3, 3, 3, 3, 3]);
      tf.mul(tf.ones([4, 28, 28, 1]), tf.ones([4, 1, 1, 1]));
    });
    assert.equal(tf.memory().numTensors, before);
  });

  it('are the registered cpu kernels', () => {
    for (const name of NAMES) assert.notEqual(tf.getKernel(name, 'cpu')!.kernelFunc, stockCpuBinary(name), name);
  });
});
