/**
 * kernels/wasm/sum.ts: trailing-axes and full Sums on wasm add in double, in one fixed
 * order (8 lanes per chunk of SUM_CHUNK elements), in the addon and in the JavaScript
 * fallback alike. Stock wasm added in float, one element after another, so a 100k-element
 * sum of values ~1 was 45-104 float ulps from the exact sum (four rows, one run); cpu adds in double.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Sum } from '@tensorflow/tfjs-core';
import { SUM_CHUNK, sumInner } from '../src/kernels/wasm/sum.js';
import { runStock } from '../src/kernels/wasm/stock.js';
import { asWasmBackend } from '../src/kernels/wasm/wasm-backend.js';
import { rand } from './helpers/kernel-check.js';
import { MODES, setupModes, useMode, type Mode } from './helpers/three-backends.js';
import { getAddon } from './helpers/native.js';
import { activateNative, type NativeAddon } from '../src/kernels/native/index.js';

interface Case { shape: number[]; axis?: number | number[]; keepDims?: boolean }

const cases: Case[] = [
  { shape: [25088] }, // tf.norm of W4's activation
  { shape: [1, 28, 28, 32] },
  { shape: [128, 784], axis: 1 }, // per-example L2 norms of an attack step
  { shape: [128, 784], axis: -1, keepDims: true },
  { shape: [3, 5, 7, 2], axis: [2, 3] },
  { shape: [2, 3 * SUM_CHUNK + 13], axis: 1 }, // several chunks and a tail
  { shape: [600_000], axis: 0 }, // past the addon's threading threshold, one row
  { shape: [300, 1000], axis: 1 }, // past it, many rows
  { shape: [4, 5], axis: [0, 1], keepDims: true },
  { shape: [7, 0], axis: 1 }, // empty rows sum to 0
  // Leading blocks (bias gradients): one row range below 256K elements, else up to 16.
  { shape: [10, 13], axis: 0 },
  { shape: [8, 14, 14, 64], axis: [0, 1, 2] },
  { shape: [2048, 200], axis: 0 },
  { shape: [100, 37], axis: 0, keepDims: true },
];
/** A leading block of axes (not every axis) under 256K elements: one row range. */
function oneRange(c: Case): boolean {
  const axes = c.axis === undefined ? [] : [c.axis].flat();
  return axes.length > 0 && axes.length < c.shape.length && axes.every((a, i) => a === i) && c.shape.reduce((a, b) => a * b, 1) < 1 << 18;
}

/** Values near 1 with a spread, where float addition drifts. */
const data = (n: number): Float32Array => Float32Array.from({ length: n }, () => 1 + (rand() - 0.5) * 0.75);

/** Calls of the addon's two sums, so the wasm+native runs are known to have used them. */
const calls = { sumInner: 0, sumRows: 0 };

async function sumOn(mode: Mode, c: Case, x: Float32Array): Promise<{ values: Float32Array; shape: number[] }> {
  await useMode(mode);
  if (mode === 'wasm+native') {
    const addon = getAddon();
    activateNative({
      ...addon,
      sumInner: (...a: Parameters<NativeAddon['sumInner']>) => { calls.sumInner++; addon.sumInner(...a); },
      sumRows: (...a: Parameters<NativeAddon['sumRows']>) => { calls.sumRows++; addon.sumRows(...a); },
    });
  }
  const before = tf.memory().numTensors;
  const t = tf.tensor(x, c.shape);
  const s = tf.sum(t, c.axis, c.keepDims);
  const out = { values: Float32Array.from(s.dataSync()), shape: s.shape };
  tf.dispose([t, s]);
  assert.equal(tf.memory().numTensors, before, `${mode}: tensors leaked`);
  return out;
}

/** The exact sum of each row (float64 with error-free two-sum compensation), rounded to float. */
function exactRows(x: Float32Array, rows: number, len: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    let err = 0;
    for (let j = 0; j < len; j++) {
      const v = x[r * len + j];
      const t = s + v;
      err += Math.abs(s) >= Math.abs(v) ? (s - t) + v : (v - t) + s;
      s = t;
    }
    out[r] = s + err;
  }
  return out;
}

const ulp = (v: number): number => {
  const f = new Float32Array([Math.abs(v)]);
  const u = new Uint32Array(f.buffer);
  u[0] += 1;
  return f[0] - Math.abs(v);
};

describe('Sum on wasm: double, one order, addon and fallback alike', () => {
  before(() => setupModes());

  it('every mode gives cpu\'s shapes and values within an ulp (leading sums under 256K elements: its bits); wasm and wasm+native give the same bits', async () => {
    for (const c of cases) {
      const x = data(c.shape.reduce((a, b) => a * b, 1));
      const got = new Map<Mode, { values: Float32Array; shape: number[] }>();
      for (const mode of MODES) got.set(mode, await sumOn(mode, c, x));
      const cpu = got.get('cpu')!;
      for (const mode of MODES) {
        const g = got.get(mode)!;
        assert.deepEqual(g.shape, cpu.shape, `${mode} ${JSON.stringify(c)}`);
        g.values.forEach((v, i) => assert.ok(Math.abs(v - cpu.values[i]) <= ulp(cpu.values[i]), `${mode} ${JSON.stringify(c)}[${i}]: ${v} vs ${cpu.values[i]}`));
      }
      if (got.has('wasm+native')) assert.deepEqual(got.get('wasm+native')!.values, got.get('wasm')!.values, JSON.stringify(c));
      // A leading sum over one row range adds each column in cpu's order: the same bits.
      if (oneRange(c)) for (const mode of MODES) assert.deepEqual(got.get(mode)!.values, cpu.values, `${mode} ${JSON.stringify(c)}`);
    }
    if (MODES.includes('wasm+native')) assert.ok(calls.sumInner > 0 && calls.sumRows > 0, `the addon's sums ran: ${JSON.stringify(calls)}`);
  });

  it('trailing sums are the exact sum rounded once (within an ulp; stock wasm\'s float sum is not)', async () => {
    const rows = 4;
    const len = 100_000;
    const x = data(rows * len);
    const exact = exactRows(x, rows, len);
    for (const mode of MODES.filter((m) => m !== 'cpu')) {
      const g = await sumOn(mode, { shape: [rows, len], axis: 1 }, x);
      g.values.forEach((v, i) => assert.ok(Math.abs(v - exact[i]) <= ulp(exact[i]), `${mode} row ${i}: ${v} vs exact ${exact[i]}`));
    }
    // The stock kernel on the same input: float accumulation, far from exact.
    await useMode('wasm');
    const t = tf.tensor2d(x, [rows, len]);
    const wb = asWasmBackend(tf.backend());
    const info = runStock(Sum, wb, { x: t }, { axis: [1], keepDims: false }) as tf.TensorInfo;
    const stock = tf.engine().makeTensorFromTensorInfo(info);
    const sv = stock.dataSync();
    const worst = Math.max(...Array.from(sv, (v, i) => Math.abs(v - exact[i]) / ulp(exact[i])));
    tf.dispose([t, stock]);
    assert.ok(worst > 8, `stock float sum within ${worst} ulps: this input no longer shows the defect`);
  });

  it('the JavaScript order matches an independent rendering of it', () => {
    // Lanes by index mod 8 over each chunk, tail to lane 0, lanes pairwise, chunks in order.
    const len = 2 * SUM_CHUNK + 21;
    const x = data(len);
    const got = new Float32Array(1);
    sumInner(x, 0, 1, len, got, 0);
    let total = 0;
    for (let c = 0; c < len; c += SUM_CHUNK) {
      const n = Math.min(SUM_CHUNK, len - c);
      const lanes = new Float64Array(8);
      const full = n - (n % 8);
      for (let j = 0; j < full; j++) lanes[j % 8] += x[c + j];
      for (let j = full; j < n; j++) lanes[0] += x[c + j];
      total += ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    }
    assert.equal(got[0], Math.fround(total));
  });
});
