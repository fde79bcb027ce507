/**
 * The optional native addon (native/build/lipbench_native.node): its SGEMM against a
 * float64 reference, and the tfjs kernels it serves on wasm+native against the cpu
 * backend. Skipped when the addon is not built, except under CI, which builds it.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's node bundle registers no gradients; the tfjs-layers bundle does.
import '@tensorflow/tfjs-layers';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { registerNativeKernels, type NativeAddon } from '../src/kernels/native/index.js';
import { missingNativeFunctions, NATIVE_FUNCTIONS } from '../src/kernels/native/addon.js';
import { getAddon, nativeSkip } from './helpers/native.js';
import { NATIVE_MIN } from '../src/kernels/wasm/binary.js';
import { stockConfig } from '../src/kernels/wasm/stock.js';
import { ClipByValue } from '@tensorflow/tfjs-core';
import {
  assertClose, compare, convOutShape, describeCase, operand, pick, rand, randArray, randInt, randomConvCase, runOn, type ConvCase, type Operand,
} from './helpers/kernel-check.js';

const skip = nativeSkip;

/** The micro-kernels this CPU can run: setIsa falls back to a lower one when it lacks the asked one. */
function isas(addon: NativeAddon): string[] {
  const initial = addon.info().isa;
  const found = new Set(['avx512', 'avx2', 'generic'].map((want) => addon.setIsa(want)));
  addon.setIsa(initial);
  return [...found];
}

describe('native SGEMM vs a float64 reference', { skip }, () => {
  interface Case { m: number; n: number; k: number; ta: boolean; tb: boolean; alpha: number; beta: number; bias: boolean; relu: boolean; pad: number; threads?: number }

  function check(addon: NativeAddon, c: Case): void {
    const { m, n, k, ta, tb, alpha, beta, bias, relu, pad } = c;
    const lda = (ta ? m : k) + pad;
    const ldb = (tb ? k : n) + pad;
    const ldc = n + pad;
    const aRows = ta ? k : m;
    const bRows = tb ? n : k;
    // Operands at odd offsets in one heap, as they sit in the wasm memory.
    const aOff = 3;
    const bOff = aOff + aRows * lda + 5;
    const cOff = bOff + bRows * ldb + 7;
    const biasOff = cOff + m * ldc + 1;
    const heap = randArray([biasOff + n + 9]);
    const A = (i: number, p: number): number => heap[aOff + (ta ? p * lda + i : i * lda + p)];
    const B = (p: number, j: number): number => heap[bOff + (tb ? j * ldb + p : p * ldb + j)];
    if (beta === 0) for (let i = 0; i < m; i++) heap.fill(Number.NaN, cOff + i * ldc, cOff + i * ldc + n); // never read
    const expected = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A(i, p) * B(p, j);
        let v = alpha * s + (beta === 0 ? 0 : beta * heap[cOff + i * ldc + j]);
        if (bias) v += heap[biasOff + j];
        expected[i * n + j] = relu ? Math.max(0, v) : v;
      }
    }
    const before = Float32Array.from(heap);
    const initial = addon.info().isa;
    try {
      // Every micro-kernel this CPU runs, against the same reference.
      for (const isa of isas(addon)) {
        addon.setIsa(isa);
        heap.set(before);
        const pool = addon.info().threads;
        if (c.threads) addon.setThreads(c.threads);
        try {
          addon.sgemm(heap, ta, tb, m, n, k, alpha, aOff, lda, bOff, ldb, beta, cOff, ldc, bias ? biasOff : -1, relu ? 1 : 0);
        } finally {
          addon.setThreads(pool);
        }
        const actual = new Float64Array(m * n);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) actual[i * n + j] = heap[cOff + i * ldc + j];
        const what = `sgemm[${isa}]${c.threads ? ` on ${c.threads} thread(s)` : ''} ${m}x${k}x${n} tA=${ta} tB=${tb} alpha=${alpha} beta=${beta} bias=${bias} relu=${relu} pad=${pad}`;
        assertClose(actual, expected, what, 1e-5, 1e-5 * Math.sqrt(Math.max(k, 1)));
        // Nothing outside C's rows/columns changed (padding columns included).
        for (let idx = 0; idx < heap.length; idx++) {
          const inC = idx >= cOff && idx < cOff + m * ldc && (idx - cOff) % ldc < n;
          if (!inC && !Object.is(heap[idx], before[idx])) assert.fail(`${what}: wrote outside C at ${idx}`);
        }
      }
    } finally {
      addon.setIsa(initial);
    }
  }

  it('reports its micro-kernel, and can switch to the lower ones', () => {
    const addon = getAddon();
    const info = addon.info();
    assert.ok(['avx512', 'avx2', 'generic'].includes(info.isa), JSON.stringify(info));
    assert.ok(info.threads >= 1);
    const found = isas(addon);
    assert.ok(found.includes('generic') && found.includes(info.isa), found.join(','));
    if (info.isa === 'avx512') assert.ok(found.includes('avx2'), 'an AVX-512 CPU runs the AVX2 path too');
    assert.throws(() => addon.setIsa('sse9'), /unknown ISA/);
    assert.equal(addon.info().isa, info.isa);
  });

  it('has every function the kernels call; an addon built from older source is reported stale by name', () => {
    const addon = getAddon();
    assert.deepEqual(missingNativeFunctions(addon), []);
    const old: Record<string, unknown> = {};
    for (const f of NATIVE_FUNCTIONS) if (f !== 'avgPoolGrad' && f !== 'clip') old[f] = (addon as unknown as Record<string, unknown>)[f];
    assert.deepEqual(missingNativeFunctions(old), ['avgPoolGrad', 'clip']);
  });

  it('matches on random odd shapes, transposes, strides, alpha/beta, bias and ReLU, on every ISA path', () => {
    const addon = getAddon();
    for (let rep = 0; rep < 60; rep++) {
      check(addon, {
        m: randInt(1, 45), n: randInt(1, 70), k: randInt(1, 60), ta: rand() < 0.5, tb: rand() < 0.5,
        alpha: pick([1, 1, -0.5, 2]), beta: pick([0, 0, 1, 0.5]), bias: rand() < 0.3, relu: rand() < 0.3, pad: pick([0, 0, 3]),
      });
    }
  });

  it('matches on shapes spanning several cache blocks and both threads, on every ISA path', () => {
    const addon = getAddon();
    const cases: Case[] = [
      { m: 301, n: 263, k: 517, ta: false, tb: false, alpha: 1, beta: 0, bias: true, relu: true, pad: 1 },
      { m: 257, n: 130, k: 300, ta: true, tb: false, alpha: 1, beta: 1, bias: false, relu: false, pad: 0 },
      { m: 129, n: 600, k: 270, ta: false, tb: true, alpha: 0.5, beta: 0, bias: false, relu: false, pad: 2 },
      { m: 70, n: 3100, k: 20, ta: true, tb: true, alpha: 1, beta: 0, bias: true, relu: false, pad: 0 },
      // Wide enough to split C by columns, the threads claiming column ranges (M=128 is a
      // dense layer at batch 128); the second has a remainder k block and an A over 512 KB,
      // which the threads pack together (A_SHARE_MIN), a block each, before claiming.
      { m: 128, n: 512, k: 784, ta: false, tb: false, alpha: 1, beta: 0, bias: true, relu: true, pad: 0 },
      { m: 300, n: 1000, k: 1300, ta: true, tb: false, alpha: -0.5, beta: 1, bias: true, relu: false, pad: 1 },
      // The threads claim column ranges over several row blocks (M > 336); then an A too
      // large to pack whole per thread (over 5 MiB): fixed column shares.
      { m: 700, n: 300, k: 400, ta: false, tb: false, alpha: 2, beta: 0.5, bias: true, relu: true, pad: 1 },
      { m: 1100, n: 300, k: 1200, ta: true, tb: true, alpha: 1, beta: 0, bias: true, relu: false, pad: 0 },
      // Too tall (M > 8N) for the column split: split by rows, the threads claiming row
      // ranges over all of B packed once. On one thread the second runs gemm_block's rows
      // in row blocks that take all their k blocks back to back (C stays in L2), over more
      // k blocks than one super-block of packed B holds (64 x 2600 > 2^17).
      { m: 2000, n: 100, k: 300, ta: false, tb: true, alpha: 1, beta: 0.5, bias: true, relu: true, pad: 1 },
      { m: 2100, n: 64, k: 2600, ta: true, tb: false, alpha: -1, beta: 1, bias: true, relu: false, pad: 2 },
      { m: 2100, n: 64, k: 2600, ta: true, tb: false, alpha: -1, beta: 1, bias: true, relu: false, pad: 2, threads: 1 },
      // Too narrow for either split (M, N < 64 per thread): items, whose column groups
      // share one packed A.
      { m: 100, n: 100, k: 900, ta: true, tb: false, alpha: 1, beta: 0, bias: true, relu: true, pad: 0 },
      // Small output, long contraction: split over k between threads.
      { m: 20, n: 33, k: 2600, ta: true, tb: false, alpha: 1, beta: 0.5, bias: true, relu: true, pad: 1 },
    ];
    for (const c of cases) check(addon, c);
    // A training shape (batch x hidden x wide) crossing the kernels' blocking boundaries.
    check(addon, { m: 133, n: 530, k: 1100, ta: false, tb: true, alpha: 1, beta: 0, bias: true, relu: false, pad: 0 });
  });

  it('matches on matrix-vector products (M = 1 or N = 1: the gemv path), every transpose, stride and epilogue, on every ISA path', () => {
    const addon = getAddon();
    // Lengths around the AVX2 loops' 8/16/64 steps, and power-iteration shapes large enough
    // to split over threads (row_threads: 256K floats).
    for (const [outs, k] of [[1, 1], [7, 5], [63, 17], [65, 33], [130, 100], [784, 256], [1100, 300]] as const) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const e = { ta, tb, alpha: pick([1, -0.5]), beta: pick([0, 1, 0.5]), bias: rand() < 0.5, relu: rand() < 0.5, pad: pick([0, 3]) };
          check(addon, { m: outs, n: 1, k, ...e });
          check(addon, { m: 1, n: outs, k, ...e });
        }
      }
    }
  });

  it('gives the same bits with the AVX-512 and the AVX2 kernel (so which one a CPU picks changes speed only)', (t) => {
    const addon = getAddon();
    if (!isas(addon).includes('avx512')) {
      t.skip('this CPU has no AVX-512');
      return;
    }
    const initial = addon.info().isa;
    try {
      for (let rep = 0; rep < 40; rep++) {
        const m = pick([1, 5, 37, 128, 300]), n = pick([1, 10, 70, 256, 513]), k = pick([3, 100, 784, 1300]);
        const ta = rand() < 0.5, tb = rand() < 0.5, beta = pick([0, 1, 0.5]), relu = rand() < 0.5;
        const lda = ta ? m : k, ldb = tb ? k : n;
        const heap = randArray([m * k + k * n + m * n + n]);
        const run = (isa: string): Float32Array => {
          addon.setIsa(isa);
          const h = Float32Array.from(heap);
          addon.sgemm(h, ta, tb, m, n, k, 1, 0, lda, m * k, ldb, beta, m * k + k * n, n, m * k + k * n + m * n, relu ? 1 : 0);
          return h;
        };
        const a = run('avx512');
        const b = run('avx2');
        for (let i = 0; i < a.length; i++) {
          if (!Object.is(a[i], b[i])) assert.fail(`${m}x${k}x${n} tA=${ta} tB=${tb} beta=${beta} relu=${relu}: element ${i}: avx512 ${a[i]} vs avx2 ${b[i]}`);
        }
      }
    } finally {
      addon.setIsa(initial);
    }
  });

  it('gives a row of C the same bits whatever the number of rows around it (edge kernels for the last M mod MR rows)', () => {
    const addon = getAddon();
    const initial = addon.info().isa;
    try {
      for (const isa of isas(addon).filter((x) => x !== 'generic')) {
        addon.setIsa(isa);
        const mr = addon.info().mr;
        // n: one panel, two full and a partial one, three full (a pair of edge tiles and
        // one alone), four full and a partial one.
        for (const n of [16, 37, 48, 70, 48, 37]) {
          const M = 3 * mr, k = pick([5, 100, 300]);
          const ta = rand() < 0.5, beta = pick([0, 1, 0.5]);
          const lda = ta ? M : k;
          const heap = randArray([M * k + k * n + M * n]);
          const cOff = M * k + k * n;
          const run = (m: number): Float32Array => {
            const h = Float32Array.from(heap);
            addon.sgemm(h, ta, false, m, n, k, 1, 0, lda, M * k, n, beta, cOff, n, -1, 0);
            return h.subarray(cOff, cOff + m * n);
          };
          const full = run(M);
          for (let m = 2; m < M; m++) {
            const part = run(m);
            for (let i = 0; i < m * n; i++) {
              if (!Object.is(part[i], full[i])) assert.fail(`${isa} ${m} of ${M} rows, k=${k} n=${n} tA=${ta} beta=${beta}: element ${i}: ${part[i]} vs ${full[i]}`);
            }
          }
        }
      }
    } finally {
      addon.setIsa(initial);
    }
  });
  it('handles an empty contraction and rejects operands outside the heap', () => {
    const addon = getAddon();
    check(addon, { m: 5, n: 7, k: 0, ta: false, tb: false, alpha: 1, beta: 0, bias: true, relu: true, pad: 0 });
    check(addon, { m: 5, n: 7, k: 0, ta: false, tb: false, alpha: 1, beta: 0.5, bias: false, relu: false, pad: 0 });
    const heap = new Float32Array(100);
    assert.throws(() => addon.sgemm(heap, false, false, 10, 10, 10, 1, 0, 10, 0, 10, 0, 50, 10, -1, 0), /outside the heap/);
    assert.throws(() => addon.sgemm(new Float64Array(4) as unknown as Float32Array, false, false, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 1, -1, 0), /Float32Array/);
  });
});

// ---------------------------------------------------------------------------------------
// Routed tfjs kernels on wasm+native against the cpu backend.

/** This file's random convolutions: more channels than the wasm test's (ci in 1..20, co in 1..40). */
const randomCase = (): ConvCase => randomConvCase(20, 40);

/** Calls per addon function, so each test can check the routed kernels really ran natively. */
const calls = new Map<string, number>();
function counting(addon: NativeAddon): NativeAddon {
  const wrapped = { ...addon };
  for (const name of ['sgemm', 'conv2d', 'conv2dBackpropFilter', 'conv2dBackpropInput', 'sumRows', 'binary', 'clip'] as const) {
    const fn = addon[name] as (...args: unknown[]) => void;
    (wrapped as Record<string, unknown>)[name] = (...args: unknown[]): void => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      fn(...args);
    };
  }
  return wrapped;
}
/**
 * `data` with special values every 13 elements: NaN of both signs (written as bits: a
 * JavaScript NaN has no sign to keep), signed zeros, infinities, denormals, and `extra`.
 */
function withSpecials(data: Float32Array, extra: number[]): Float32Array {
  [Number.NaN, -0, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-45, -1e-45, ...extra].forEach((v, i) => { data[i * 13] = v; });
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  bits[200 * 13] = 0xffc00000; // −NaN
  bits[201 * 13] = 0x7fc00001; // NaN with a payload
  bits[202 * 13] = 0xff800001; // −NaN, signalling
  return data;
}

/** A tensor's float bits (a same-type copy keeps NaN signs and payloads), disposing it. */
function bitsOf(t: tf.Tensor): Uint32Array {
  const bits = new Uint32Array((t.dataSync() as Float32Array).slice().buffer);
  t.dispose();
  return bits;
}

function assertSameBits(got: Uint32Array, want: Uint32Array, data: Float32Array, what: string): void {
  assert.equal(got.length, want.length, what);
  const inBits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) assert.fail(`${what} element ${i} (0x${inBits[i].toString(16)}): 0x${got[i].toString(16)} vs stock 0x${want[i].toString(16)}`);
  }
}

function assertCalled(...names: string[]): void {
  for (const n of names) assert.ok((calls.get(n) ?? 0) > 0, `native ${n} was never called`);
  calls.clear();
}

describe('fmaPeak', { skip }, () => {
  it('does the same flops whether one thread or the pool runs them: a late worker shows as time, not as fewer flops', () => {
    const addon = getAddon();
    const one = addon.fmaPeak(1003);
    const pool = addon.info().threads;
    if (addon.info().isa === 'generic') {
      assert.equal(one, 0);
      return;
    }
    assert.ok(one > 0);
    for (let r = 0; r < 5; r++) assert.equal(addon.fmaPeak(1003, pool), pool * one, `run ${r}`);
    assert.equal(addon.fmaPeak(1003, 1), one);
    assert.throws(() => addon.fmaPeak(10, 0), /thread count/);
  });
});

describe('kernelPeak', { skip }, () => {
  it('runs the current ISA\'s micro-kernel on an L1-sized tile: 2·MR·NR·kc flops a call, the same count on any thread count', () => {
    const addon = getAddon();
    const initial = addon.info().isa;
    try {
      for (const isa of isas(addon)) {
        addon.setIsa(isa);
        const { mr, nr, threads } = addon.info();
        const perCall = addon.kernelPeak(1);
        // kc: a multiple of 16, at most 256, with packed A and B in 24 KB (so in any L1 of 32 KB or more)
        const kc = perCall / (2 * mr * nr);
        assert.ok(Number.isInteger(kc) && kc > 0 && kc % 16 === 0 && kc <= 256, `${isa}: kc ${kc}`);
        assert.ok((mr + nr) * kc * 4 <= 24576, `${isa}: A and B take ${(mr + nr) * kc * 4} bytes`);
        // Cut into eighths per thread: 1003 calls are 1003 calls however they are split.
        assert.equal(addon.kernelPeak(1003), 1003 * perCall, isa);
        assert.equal(addon.kernelPeak(1003, threads), threads * 1003 * perCall, isa);
        assert.equal(addon.kernelPeak(0), 0);
      }
    } finally {
      addon.setIsa(initial);
    }
    assert.throws(() => addon.kernelPeak(10, 0), /thread count/);
  });
});

describe('tfjs kernels on wasm+native', { skip }, () => {
  before(async () => {
    const require = createRequire(import.meta.url);
    tfwasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
    registerNativeKernels(counting(getAddon()));
    assert.ok(await tf.setBackend('wasm'));
    await tf.ready();
  });

  it('BatchMatMul matches cpu for transposes, batches and broadcasting', async () => {
    for (let rep = 0; rep < 4; rep++) {
      const [m, k, n] = [randInt(1, 90), randInt(1, 90), randInt(1, 90)];
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          await compare(`matMul ${m}x${k}x${n} tA=${ta} tB=${tb}`, [operand(ta ? [k, m] : [m, k]), operand(tb ? [n, k] : [k, n])],
            (x, y) => tf.matMul(x, y, ta, tb));
        }
      }
    }
    const cases: [number[], number[]][] = [[[3], [3]], [[4], [1]], [[1], [5]], [[], [2]], [[2], []], [[2, 3], [1, 1]], [[2, 3], [2, 3]]];
    for (const [ba, bb] of cases) {
      const [m, k, n] = [randInt(1, 20), randInt(1, 20), randInt(1, 20)];
      const ta = rand() < 0.5;
      const tb = rand() < 0.5;
      await compare(`matMul batch ${ba}|${bb} ${m}x${k}x${n} tA=${ta} tB=${tb}`,
        [operand([...ba, ...(ta ? [k, m] : [m, k])]), operand([...bb, ...(tb ? [n, k] : [k, n])])],
        (x, y) => tf.matMul(x, y, ta, tb));
    }
    await compare('matMul tA 300x128x257 (weight-gradient shape)', [operand([128, 300]), operand([128, 257])],
      (x, y) => tf.matMul(x, y, true, false));
    assertCalled('sgemm');
  });

  it('Add, Sub and Multiply on large tensors equal cpu bit for bit (full operands, a broadcast value on either side, NaN, ±0, infinities)', async () => {
    const n = NATIVE_MIN + 4099;
    const special = [Number.NaN, 0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 3.4e38, 1e-45];
    const big = (): Operand => { const o = operand([n]); special.forEach((v, i) => { o.data[i * 97] = v; }); return o; };
    const cases: [string, Operand[], (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [];
    for (const [op, f] of [['add', tf.add], ['sub', tf.sub], ['mul', tf.mul]] as const) {
      cases.push([`${op} [n] [n]`, [big(), big()], f]);
      cases.push([`${op} [n] scalar`, [big(), operand([])], f]);
      cases.push([`${op} [1,1] [n]`, [operand([1, 1]), big()], f]);
      cases.push([`${op} [2, n/2] [2, n/2]`, [operand([2, Math.floor(n / 2)]), operand([2, Math.floor(n / 2)])], f]);
    }
    for (const [what, ops, f] of cases) {
      const expected = await runOn('cpu', ops, f);
      const actual = await runOn('wasm', ops, f);
      assert.equal(actual[0]!.length, expected[0]!.length, what);
      for (let i = 0; i < expected[0]!.length; i++) {
        if (!Object.is(actual[0]![i], expected[0]![i])) assert.fail(`${what} element ${i}: ${actual[0]![i]} vs cpu ${expected[0]![i]}`);
      }
    }
    assertCalled('binary');
  });

  it('ClipByValue on large tensors equals the stock wasm kernel bit for bit (NaN of either sign, signed zeros, infinities, the bounds themselves, [0, ∞) as ReLU)', async () => {
    await tf.setBackend('wasm');
    const n = NATIVE_MIN + 77;
    const ours = tf.getKernel(ClipByValue, 'wasm')!;
    const stock = stockConfig(ClipByValue)!;
    for (const [lo, hi] of [[0, 1], [-0.3, 0.3], [-1, 1], [-0.1, 0.05], [0, 1e-45], [0, Infinity], [-0, Infinity], [-1, Infinity], [-Infinity, 0]] as const) {
      const data = withSpecials(randArray([n]).map((v) => v * 2), [lo, hi, Math.fround(lo), Math.fround(hi)]);
      const x = tf.tensor1d(data);
      const run = (cfg: tf.KernelConfig): Uint32Array => {
        tf.unregisterKernel(ClipByValue, 'wasm');
        tf.registerKernel(cfg);
        return bitsOf(tf.clipByValue(x, lo, hi));
      };
      const want = run(stock);
      const got = run(ours);
      x.dispose();
      assertSameBits(got, want, data, `clip [${lo}, ${hi}]`);
    }
    assertCalled('clip');
  });

  it('_FusedMatMul matches cpu for bias shapes and activations', async () => {
    for (const activation of ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const) {
      for (const batch of [[], [3]]) {
        const [m, k, n] = [randInt(1, 40), randInt(1, 40), randInt(1, 40)];
        const ta = rand() < 0.5;
        const tb = rand() < 0.5;
        await compare(`fused ${activation} batch=${batch} ${m}x${k}x${n} tA=${ta} tB=${tb}`,
          [operand([...batch, ...(ta ? [k, m] : [m, k])]), operand([...batch, ...(tb ? [n, k] : [k, n])]), operand([n]), operand([n])],
          (a, b, bias, alpha) => tf.fused.matMul({
            a, b, transposeA: ta, transposeB: tb, bias, activation,
            preluActivationWeights: activation === 'prelu' ? alpha : undefined, leakyreluAlpha: 0.3,
          }));
      }
    }
    await compare('fused bias [m,n] relu', [operand([7, 9]), operand([5, 9]), operand([7, 5])],
      (a, b, bias) => tf.fused.matMul({ a, b, transposeB: true, bias, activation: 'relu' }));
    assertCalled('sgemm');
  });

  it('Conv2D and FusedConv2D match cpu (strides, padding, dilation, bias, activations)', async () => {
    const cases: (ConvCase & { d: [number, number] })[] = [
      { n: 2, h: 28, w: 28, ci: 1, co: 32, k: 3, kw: 3, s: [1, 1], pad: 'same', d: [1, 1] },
      { n: 2, h: 28, w: 28, ci: 32, co: 64, k: 3, kw: 3, s: [2, 2], pad: 'same', d: [1, 1] },
      { n: 1, h: 13, w: 11, ci: 5, co: 7, k: 3, kw: 3, s: [1, 1], pad: 'valid', d: [2, 2] },
      ...Array.from({ length: 16 }, () => ({ ...randomCase(), d: [1, 1] as [number, number] })),
    ];
    for (const c of cases) {
      const x = operand([c.n, c.h, c.w, c.ci]);
      const filter = operand([c.k, c.kw, c.ci, c.co]);
      await compare(`conv2d ${describeCase(c)} d${c.d}`, [x, filter], (xt, ft) =>
        tf.conv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, c.s, c.pad, 'NHWC', c.d));
      const activation = pick(['linear', 'relu', 'elu'] as const);
      await compare(`fused conv2d ${activation} ${describeCase(c)}`, [x, filter, operand([c.co])], (xt, ft, bt) =>
        tf.fused.conv2d({ x: xt as tf.Tensor4D, filter: ft as tf.Tensor4D, strides: c.s, pad: c.pad, dilations: c.d, bias: bt, activation }));
    }
    assertCalled('conv2d');
  });

  it('Conv2DBackpropFilter and Conv2DBackpropInput match cpu', async () => {
    const cases: ConvCase[] = [
      { n: 2, h: 28, w: 28, ci: 1, co: 32, k: 3, kw: 3, s: [1, 1], pad: 'same' },
      { n: 3, h: 28, w: 28, ci: 32, co: 64, k: 3, kw: 3, s: [2, 2], pad: 'same' },
      { n: 1, h: 9, w: 12, ci: 3, co: 4, k: 5, kw: 5, s: [2, 2], pad: 'valid' },
      { n: 1, h: 7, w: 7, ci: 2, co: 2, k: 2, kw: 2, s: [3, 3], pad: 'valid' },
      // Enough output pixels for the k-split filter gradient, with few and with many taps.
      { n: 16, h: 28, w: 28, ci: 1, co: 8, k: 3, kw: 3, s: [1, 1], pad: 'same' },
      { n: 24, h: 14, w: 14, ci: 16, co: 24, k: 3, kw: 3, s: [1, 1], pad: 'valid' },
      ...Array.from({ length: 20 }, randomCase),
    ];
    for (const c of cases) {
      const filterShape: [number, number, number, number] = [c.k, c.kw, c.ci, c.co];
      const inputShape: [number, number, number, number] = [c.n, c.h, c.w, c.ci];
      const x = operand(inputShape);
      const filter = operand(filterShape);
      const dy = operand(convOutShape(inputShape, filterShape, c.s, c.pad));
      await compare(`backpropFilter ${describeCase(c)}`, [x, dy], (xt, dyt) =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: xt, dy: dyt },
          { strides: c.s, pad: c.pad, dataFormat: 'NHWC', filterShape }) as tf.Tensor);
      await compare(`backpropInput ${describeCase(c)}`, [dy, filter], (dyt, ft) =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy: dyt, filter: ft },
          { strides: c.s, pad: c.pad, dataFormat: 'NHWC', inputShape }) as tf.Tensor);
    }
    assertCalled('conv2dBackpropFilter', 'conv2dBackpropInput');
  });

  it('Sum matches cpu for leading-axis and other reductions', async () => {
    const cases: [number[], number[], boolean][] = [
      [[128, 28, 28, 32], [0, 1, 2], false], [[16, 7, 5, 3], [0, 1, 2], true], [[9, 13], [0], false], [[3000, 5], [0], false],
      [[4, 3, 2], [1, 0], true], [[4, 3, 2], [2], false], [[6, 5], [0, 1], false], [[0, 4], [0], false],
    ];
    for (const [shape, axes, keepDims] of cases) {
      await compare(`sum ${shape} axes=${axes} keepDims=${keepDims}`, [operand(shape)], (x) => tf.sum(x, axes, keepDims));
    }
    assertCalled('sumRows');
  });

  it('a tiny CNN training step has gradients matching cpu and lowers the loss', async () => {
    // conv3x3 1->8 same relu -> conv3x3 8->16 /2 relu -> dense: fused ops as in the bench models.
    const batch = 6;
    const shapes = { x: [batch, 12, 12, 1], w1: [3, 3, 1, 8], b1: [8], w2: [3, 3, 8, 16], b2: [16], w3: [6 * 6 * 16, 10], b3: [10] };
    const labels = Float32Array.from({ length: batch * 10 }, (_, i) => (i % 10 === (Math.floor(i / 10) * 3) % 10 ? 1 : 0));
    const loss = (x: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor, w3: tf.Tensor, b3: tf.Tensor): tf.Scalar => {
      const h1 = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w1 as tf.Tensor4D, strides: 1, pad: 'same', bias: b1, activation: 'relu' });
      const h2 = tf.fused.conv2d({ x: h1, filter: w2 as tf.Tensor4D, strides: 2, pad: 'same', bias: b2, activation: 'relu' });
      const logits = tf.fused.matMul({ a: tf.reshape(h2, [batch, -1]) as tf.Tensor2D, b: w3 as tf.Tensor2D, bias: b3 });
      return tf.losses.softmaxCrossEntropy(tf.tensor2d(labels, [batch, 10]), logits) as tf.Scalar;
    };
    const ops = Object.values(shapes).map((s) => operand(s));
    await compare('tiny CNN loss and grads (params and input)', ops, (...ts) => {
      const g = tf.grads((...a: tf.Tensor[]) => loss(a[0], a[1], a[2], a[3], a[4], a[5], a[6]));
      return [loss(ts[0], ts[1], ts[2], ts[3], ts[4], ts[5], ts[6]), ...g(ts)];
    });
    assertCalled('sgemm', 'conv2d', 'conv2dBackpropFilter', 'conv2dBackpropInput', 'sumRows');

    await tf.setBackend('wasm');
    const [x, ...params] = ops.map((o) => tf.tensor(o.data, o.shape));
    const vars = params.map((p) => tf.variable(p));
    const opt = tf.train.sgd(0.05);
    const evalLoss = (): number => tf.tidy(() => loss(x, vars[0], vars[1], vars[2], vars[3], vars[4], vars[5]).dataSync()[0]);
    const start = evalLoss();
    for (let i = 0; i < 5; i++) opt.minimize(() => loss(x, vars[0], vars[1], vars[2], vars[3], vars[4], vars[5]), false, vars);
    const end = evalLoss();
    assert.ok(Number.isFinite(end) && end < start, `SGD loss ${start} -> ${end}`);
    opt.dispose();
    tf.dispose([x, ...params, ...vars]);
  });
});
