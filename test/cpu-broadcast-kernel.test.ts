/**
 * kernels/cpu/broadcast.ts: the cpu backend's Add, Sub, Multiply and RealDiv of float32
 * tensors, broadcasting along any axes, equal the stock tfjs-cpu kernels bit for bit
 * (raw bits, NaN payloads included: fixed and 300 random shape pairs, every pair of
 * special values), leave other dtypes to them, and are what tf.add & co. run once
 * registered (initBackend registers them). Also checked independently of tfjs: every
 * element against its own index arithmetic.
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

/** The raw bits, NaN sign and payload included; refuses anything but a Float32Array. */
function bits(v: unknown): Uint32Array {
  assert.ok(v instanceof Float32Array, `expected a Float32Array, got ${Object.prototype.toString.call(v)}`);
  return new Uint32Array(v.buffer, v.byteOffset, v.length);
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

// tfjs' own kernels, taken before anything of lipbench's is registered.
import '@tensorflow/tfjs-backend-cpu';
const TFJS_KERNELS = new Map(NAMES.map((n) => [n, tf.getKernel(n, 'cpu')!.kernelFunc]));

/** A seeded generator of floats in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function runStockOn(name: (typeof NAMES)[number], a: tf.Tensor, b: tf.Tensor): Float32Array {
  const backend = tf.backend();
  const out = stockCpuBinary(name)({ inputs: { a, b }, attrs: {}, backend }) as TensorInfo;
  const vals = (backend.readSync(out.dataId) as Float32Array).slice();
  backend.disposeData(out.dataId);
  return vals;
}

describe('cpu broadcast kernels', () => {
  before(async () => {
    await initBackend('cpu');
    registerCpuBroadcastKernels();
  });

  it('stockCpuBinary is tfjs\' own kernel, and registering twice changes nothing', () => {
    for (const name of NAMES) assert.equal(stockCpuBinary(name), TFJS_KERNELS.get(name), name);
    const now = NAMES.map((n) => tf.getKernel(n, 'cpu')!.kernelFunc);
    registerCpuBroadcastKernels();
    assert.deepEqual(NAMES.map((n) => tf.getKernel(n, 'cpu')!.kernelFunc), now);
  });

  it('every special value against every other, both ways round, as the stock kernels give them', () => {
    const special = new Float32Array([NaN, -NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38, 1, -1, 0.1, 3]);
    const n = special.length;
    const a = tf.tensor(special, [n, 1], 'float32'), b = tf.tensor(special, [1, n], 'float32');
    for (const name of NAMES) {
      for (const [x, y, xs, ys] of [[a, b, [n, 1], [1, n]], [b, a, [1, n], [n, 1]]] as const) {
        const ours = broadcastBinary(name, xs, special, ys, special);
        assert.deepEqual(bits(ours.values), bits(runStockOn(name, x, y)), `${name} ${JSON.stringify(xs)} ${JSON.stringify(ys)}`);
      }
    }
    tf.dispose([a, b]);
  });

  it('300 random shape pairs (rank 0-5, size-1 axes anywhere, broadcasts on both sides) equal the stock kernels', () => {
    const r = rng(7);
    for (let t = 0; t < 300; t++) {
      const rank = Math.floor(r() * 6);
      const full = Array.from({ length: rank }, () => 1 + Math.floor(r() * 4));
      const sub = (): number[] => full.slice(Math.floor(r() * (rank + 1))).map((d) => (r() < 0.4 ? 1 : d));
      const aShape = sub(), bShape = sub();
      const a = values(size(aShape), 1000 + 2 * t), b = values(size(bShape), 1001 + 2 * t);
      const ta = tf.tensor(a, aShape, 'float32'), tb = tf.tensor(b, bShape, 'float32');
      for (const name of NAMES) {
        const ours = broadcastBinary(name, aShape, a, bShape, b);
        assert.deepEqual(bits(ours.values), bits(runStockOn(name, ta, tb)), `${name} ${JSON.stringify(aShape)} ${JSON.stringify(bShape)}`);
      }
      tf.dispose([ta, tb]);
    }
  });

  it('equal the stock kernels and the definition, bit for bit, and are what tf.add & co. run', () => {
    for (const [k, [aShape, bShape]] of PAIRS.entries()) {
      const a = values(size(aShape), 2 * k + 1), b = values(size(bShape), 2 * k + 2);
      const ta = tf.tensor(a, aShape, 'float32'), tb = tf.tensor(b, bShape, 'float32');
      for (const name of NAMES) {
        const ours = broadcastBinary(name, aShape, a, bShape, b);
        const what = `${name} ${JSON.stringify(aShape)} ${JSON.stringify(bShape)}`;
        const op = name === Add ? tf.add : name === Sub ? tf.sub : name === Multiply ? tf.mul : tf.div;
        const viaTf = op(ta, tb);
        assert.deepEqual(ours.shape, viaTf.shape, what);
        assert.deepEqual(bits(ours.values), bits(runStockOn(name, ta, tb)), `${what}: against the stock kernel`);
        assert.deepEqual(bits(ours.values), bits(reference(name, aShape, a, bShape, b)), `${what}: against the definition`);
        assert.deepEqual(bits(viaTf.dataSync()), bits(ours.values), `${what}: through tf`);
        viaTf.dispose();
      }
      tf.dispose([ta, tb]);
    }
  });

  it('leave int32, complex64 and mixed dtypes to the stock kernels, take a float32 mask cast from bool, and leak no tensor', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const i = tf.mul(tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32'), tf.tensor([[2], [3]], [2, 1], 'int32'));
      assert.equal(i.dtype, 'int32');
      assert.deepEqual(Array.from(i.dataSync()), [2, 4, 9, 12]);
      const c = tf.mul(tf.complex([1, 2], [1, 0]), tf.complex([[3], [1]], [[0], [1]]));
      assert.equal(c.dtype, 'complex64');
      assert.deepEqual(Array.from(tf.real(c).dataSync()), [3, 6, 0, 2]);
      assert.deepEqual(Array.from(tf.imag(c).dataSync()), [3, 0, 2, 2]);
      const mixed = tf.engine().runKernel(Multiply, { a: tf.tensor([[1.5], [2]], [2, 1], 'float32'), b: tf.tensor([2, 3], [1, 2], 'int32') }) as tf.Tensor;
      assert.equal(mixed.dtype, 'float32');
      assert.deepEqual(Array.from(mixed.dataSync()), [3, 4.5, 4, 6]);
      const mask = tf.cast(tf.tensor([true, false], [2, 1, 1, 1], 'bool'), 'float32');
      const x = tf.tensor(values(8, 3), [2, 2, 2, 1]);
      assert.deepEqual(bits(tf.mul(x, mask).dataSync()), bits(runStockOn(Multiply, x, mask)));
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
