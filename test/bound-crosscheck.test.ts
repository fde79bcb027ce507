/**
 * lipbench's IBP and CROWN margin bounds against an independent implementation: the
 * fixture's bounds come from bench/bound-crosscheck.py (float64, every conv as its dense
 * operator, nothing shared with bound-propagation.ts) on a seeded tiny chain
 * (conv 4 3×3/2 'same' on 8×8×1 → ReLU → flatten → dense 16 → ReLU → dense 3), at ℓ∞
 * ε ∈ {0.02, 0.1} (ball ∩ [0,1]) and ℓ2 ε ∈ {0.1, 0.5} (ball not clipped), every margin
 * f_y − f_j, one point labelled against its argmax. Regenerate with
 *   python3 bench/bound-crosscheck.py fixture test/fixtures/bound-crosscheck.json
 *
 * Tolerance 1e-4 absolute (the bounds are O(1), |bound| ≤ 11): lipbench works in float32,
 * whose rounding (6e-8 relative) over dot products of ≤ 64 terms of magnitude ≤ ~2 and
 * three layers stays below ~1e-5; observed differences are ~1e-6. A discrete difference
 * (a neuron counted stable instead of unstable, α = 0 instead of 1) cannot come from
 * rounding: the generator refuses fixtures where any ReLU bound l, u or u + l is within
 * 1e-3 of zero (minTieGap), so such a difference is a defect.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { chainOps, forwardOps, type ChainOps } from '../src/lipschitz/chain-ops.js';
import { marginLowerBounds, marginLowerBoundsBatch, type BallNorm, type BoundMethod } from '../src/lipschitz/bound-propagation.js';
import { testBackend } from './helpers/setup.js';

interface Affine {
  readonly kernel: number[];
  readonly kernelShape: number[];
  readonly bias: number[];
}

interface CrosscheckFixture {
  readonly inputShape: [number, number, number];
  readonly conv: Affine & { strides: [number, number]; padding: 'same' | 'valid' };
  readonly dense1: Affine;
  readonly dense2: Affine;
  readonly x: number[][];
  readonly labels: number[];
  readonly logits: number[][];
  readonly minTieGap: number;
  /** Per ball: bounds on f_y − f_j for j ≠ y in index order, [point][j]. */
  readonly bounds: { norm: BallNorm; eps: number; ibp: number[][]; crown: number[][] }[];
}

const TOL = 1e-4;
const fx = JSON.parse(readFileSync(path.join(import.meta.dirname, 'fixtures', 'bound-crosscheck.json'), 'utf8')) as CrosscheckFixture;

before(async () => {
  await testBackend();
});

function fixtureModel(): tfl.LayersModel {
  const { conv, dense1, dense2 } = fx;
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: fx.inputShape, filters: conv.kernelShape[3]!, kernelSize: [conv.kernelShape[0]!, conv.kernelShape[1]!], strides: conv.strides, padding: conv.padding }),
      tfl.layers.activation({ activation: 'relu' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: dense1.kernelShape[1]!, activation: 'relu' }),
      tfl.layers.dense({ units: dense2.kernelShape[1]! }),
    ],
  });
  const ws = [conv, dense1, dense2].flatMap((a) => [tf.tensor(a.kernel, a.kernelShape), tf.tensor1d(a.bias)]);
  model.setWeights(ws);
  tf.dispose(ws);
  return model;
}

/** The fixture's chain, points and labels, freed afterwards. */
function withFixture(f: (chain: ChainOps, x: tf.Tensor4D, y: tf.Tensor1D) => void): void {
  const model = fixtureModel();
  const chain = chainOps(model);
  const [h, w, c] = fx.inputShape;
  const x = tf.tensor4d(fx.x.flat(), [fx.x.length, h, w, c]);
  const y = tf.tensor1d(fx.labels, 'int32');
  try {
    f(chain, x, y);
  } finally {
    chain.dispose();
    model.dispose();
    tf.dispose([x, y]);
  }
}

test('fixture: the generator kept every ReLU bound away from a relaxation tie', () => {
  assert.ok(fx.minTieGap >= 1e-3, `minTieGap ${fx.minTieGap}`);
  assert.equal(fx.bounds.length, 4);
});

test('bound propagation agrees with the independent float64 dense-operator implementation (IBP and CROWN, ℓ∞ and ℓ2)', (t) => {
  withFixture((chain, x, y) => {
    // Same model and points: the logits agree, so any bound difference is the propagation's.
    const logits = tf.tidy(() => forwardOps(chain, x).arraySync());
    logits.forEach((row, i) => row.forEach((v, k) => assert.ok(Math.abs(v - fx.logits[i]![k]!) < 1e-5, `logit [${i}][${k}]: ${v} vs ${fx.logits[i]![k]}`)));
    let worst = 0;
    for (const ball of fx.bounds) {
      for (const method of ['ibp', 'crown'] as const satisfies readonly BoundMethod[]) {
        const want = ball[method];
        const lb = marginLowerBoundsBatch(chain, x, y, { norm: ball.norm, eps: ball.eps }, method);
        const got = lb.arraySync();
        lb.dispose();
        const mins = marginLowerBounds(chain, x, y, { norm: ball.norm, eps: ball.eps }, method);
        want.forEach((row, i) => {
          row.forEach((v, j) => {
            const d = Math.abs(got[i]![j]! - v);
            worst = Math.max(worst, d);
            assert.ok(d <= TOL, `${method} ${ball.norm} ε=${ball.eps} point ${i} margin ${j}: lipbench ${got[i]![j]} vs reference ${v}`);
          });
          assert.ok(Math.abs(mins[i]! - Math.min(...row)) <= TOL, `${method} ${ball.norm} ε=${ball.eps} point ${i} min margin: ${mins[i]} vs ${Math.min(...row)}`);
        });
      }
    }
    assert.ok(worst > 0, 'float32 and float64 agree to the bit on every bound: suspicious (is the fixture lipbench output?)');
    t.diagnostic(`max |lipbench − reference| over all bounds: ${worst.toExponential(2)} (tolerance ${TOL})`);
  });
});

test('bound propagation leaves no tensors behind (IBP and CROWN, every ball)', () => {
  withFixture((chain, x, y) => {
    for (const ball of fx.bounds) {
      for (const method of ['ibp', 'crown'] as const) {
        const before = tf.memory().numTensors;
        marginLowerBoundsBatch(chain, x, y, { norm: ball.norm, eps: ball.eps }, method).dispose();
        marginLowerBounds(chain, x, y, { norm: ball.norm, eps: ball.eps }, method);
        assert.equal(tf.memory().numTensors, before, `${method} ${ball.norm} ε=${ball.eps}: tensors left behind`);
      }
    }
  });
});
