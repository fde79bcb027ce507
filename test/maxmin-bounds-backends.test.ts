/**
 * IBP and CROWN through MaxMin on two backends: the same margin bounds on cpu, wasm and
 * wasm+native (float32 rounding apart), and at ε = 0 both equal the margins the model
 * computes. The soundness of the MaxMin relaxation itself is tested in certify-bounds.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../src/models/index.js';
import { chainOps } from '../src/lipschitz/chain-ops.js';
import { marginLowerBoundsBatch, type BallNorm, type BoundMethod } from '../src/lipschitz/bound-propagation.js';
import { randArray } from './helpers/kernel-check.js';
import { MODES, setupModes, useMode } from './helpers/three-backends.js';

const SHAPE = [6, 6, 1];
const N = 5;
const X = randArray([N, ...SHAPE]).map((v) => (v + 1) / 2);
const Y = [0, 1, 2, 3, 1];
const CASES: [BallNorm, number][] = [['linf', 0.02], ['l2', 0.1], ['l2', 0.4]];

/** Every bound (per method and ball), then the margins f_y − f_j at the points. */
function bounds(): number[][] {
  const model = buildModel({ kind: 'convnet', conv: [{ filters: 4, kernel: 3, stride: 2 }], dense: [8], activation: 'maxmin' }, SHAPE, 4, 3);
  const chain = chainOps(model);
  const x = tf.tensor(X, [N, ...SHAPE]);
  const y = tf.tensor1d(Y, 'int32');
  const out: number[][] = [];
  for (const method of ['ibp', 'crown'] as BoundMethod[]) {
    for (const [norm, eps] of [...CASES, ['l2', 0] as [BallNorm, number]]) {
      const lb = marginLowerBoundsBatch(chain, x, y, { norm, eps }, method);
      out.push(Array.from(lb.dataSync()));
      lb.dispose();
    }
  }
  const logits = model.predict(x) as tf.Tensor;
  const z = logits.dataSync();
  out.push(Y.flatMap((yi, i) => [0, 1, 2, 3].filter((j) => j !== yi).map((j) => z[i * 4 + yi]! - z[i * 4 + j]!)));
  tf.dispose([x, y, logits]);
  chain.dispose();
  model.dispose();
  return out;
}

describe('MaxMin bounds across backends', () => {
  before(() => setupModes());

  it('cpu, wasm and wasm+native agree, and at ε = 0 every bound is the margin', async () => {
    const results: Record<string, number[][]> = {};
    for (const mode of MODES) {
      await useMode(mode);
      results[mode] = bounds();
    }
    const ref = results['cpu']!;
    const margins = ref[ref.length - 1]!;
    for (const m of [CASES.length, 2 * CASES.length + 1]) {
      ref[m]!.forEach((v, k) => assert.ok(Math.abs(v - margins[k]!) < 1e-4 * (1 + Math.abs(v)), `ε = 0 bound ${v} vs margin ${margins[k]}`));
    }
    for (const mode of MODES) {
      results[mode]!.forEach((row, r) =>
        row.forEach((v, k) => {
          const e = ref[r]![k]!;
          assert.ok(Math.abs(v - e) <= 1e-4 * (1 + Math.abs(e)), `${mode} row ${r} entry ${k}: ${v} vs cpu ${e}`);
        }),
      );
    }
    // Not vacuous: the relaxation is active somewhere (CROWN differs from IBP at some ball).
    assert.ok(ref.slice(CASES.length + 1, 2 * CASES.length + 1).some((row, r) => row.some((v, k) => Math.abs(v - ref[r]![k]!) > 1e-3)));
  });
});
