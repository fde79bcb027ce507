/**
 * Shared by the wasm and native kernel tests: a seeded random stream, random operands,
 * and a harness that runs the same tfjs computation on the cpu backend and on wasm and
 * compares the outputs. The stream is module-level: each test file runs in its own
 * process, so each file gets its own stream starting from SEED, drawn in the file's order.
 * The importing file registers the backends (and any kernels) itself.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '../../src/util/rng.js';

// These tests pick backends with tf.setBackend, not initBackend, so they must quiet tfjs'
// "install tfjs-node" banner themselves (initBackend does it for everything else).
tf.env().set('PROD', true);

export type Backend = 'cpu' | 'wasm';
export type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

export const SEED = Number(process.env.LIPBENCH_TEST_SEED ?? 20240611);

export const rand = mulberry32(SEED);
export const randInt = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
export const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
export function randArray(shape: number[]): Float32Array {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = rand() * 2 - 1;
  return out;
}

export interface Operand { readonly data: Float32Array; readonly shape: number[] }
export const operand = (shape: number[]): Operand => ({ data: randArray(shape), shape });

/** Runs f on a backend with fresh tensors built from the operands; returns the outputs' values. */
export async function runOn(backend: Backend, ops: Operand[], f: (...ts: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const inputs = ops.map((o) => tf.tensor(o.data, o.shape, 'float32'));
  try {
    const outs = tf.tidy(() => {
      const r = f(...inputs);
      return Array.isArray(r) ? r : [r];
    });
    const values = outs.map((t) => Float32Array.from(t.dataSync()));
    tf.dispose(outs);
    return values;
  } finally {
    tf.dispose(inputs);
  }
}

/** |a - e| <= atol * max(1, max|e|) + rtol * |e|, elementwise. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-4, atol = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const tol = atol * scale + rtol * Math.abs(expected[i]);
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      assert.fail(`${what} (seed ${SEED}): element ${i} is ${actual[i]}, expected ${expected[i]} (tol ${tol.toExponential(2)})`);
    }
  }
}

/** f on cpu (the reference) and then on wasm: no leaked tensors, every output close. */
export async function compare(what: string, ops: Operand[], f: (...ts: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<void> {
  const expected = await runOn('cpu', ops, f);
  const before = tf.memory().numTensors;
  const actual = await runOn('wasm', ops, f);
  assert.equal(tf.memory().numTensors, before, `${what}: leaked tensors`);
  expected.forEach((e, i) => assertClose(actual[i], e, `${what} [output ${i}]`));
}

export function convOutShape(x: number[], filter: number[], strides: [number, number], pad: Pad, dil: [number, number] = [1, 1]): number[] {
  return tf.backend_util.computeConv2DInfo(x as [number, number, number, number],
    filter as [number, number, number, number], strides, dil, pad).outShape;
}

export interface ConvCase { n: number; h: number; w: number; ci: number; co: number; k: number; kw: number; s: [number, number]; pad: Pad }

/** A random NHWC convolution with ci in 1..maxCi input and co in 1..maxCo output channels. */
export function randomConvCase(maxCi: number, maxCo: number): ConvCase {
  const k = pick([1, 2, 3, 5]);
  const kw = rand() < 0.8 ? k : pick([1, 3, 4]);
  const s: [number, number] = rand() < 0.85 ? pick([[1, 1], [2, 2]] as [number, number][]) : [pick([1, 2, 3]), pick([1, 2])];
  const pad: Pad = pick<Pad>(['same', 'valid', [[0, 0], [randInt(0, 2), randInt(0, 2)], [randInt(0, 2), randInt(0, 2)], [0, 0]]]);
  return { n: randInt(1, 3), h: randInt(k + 1, 15), w: randInt(kw + 1, 15), ci: randInt(1, maxCi), co: randInt(1, maxCo), k, kw, s, pad };
}

export const describeCase = (c: ConvCase): string =>
  `n${c.n} ${c.h}x${c.w}x${c.ci}->${c.co} k${c.k}x${c.kw} s${c.s} pad=${JSON.stringify(c.pad)}`;
