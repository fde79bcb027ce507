import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/node/backend.js';
import { lipschitzUpperBounds } from '../src/lipschitz/bounds.js';
import { certifiedAccuracy, certifiedRadii, gradientLowerBound, pairLowerBound } from '../src/lipschitz/empirical.js';

const SHAPE: [number, number, number] = [4, 4, 1];
const D = 16;
const K = 5;

before(async () => {
  await initBackend('cpu');
});

function linearModel(): tfl.LayersModel {
  const m = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: SHAPE }), tfl.layers.dense({ units: K, kernelInitializer: tfl.initializers.glorotUniform({ seed: 11 }), biasInitializer: tfl.initializers.randomNormal({ seed: 12 }) })] });
  return m;
}

/** W as columns per class (D×K), read once. */
function weightsOf(m: tfl.LayersModel): number[][] {
  const W = m.layers[1].getWeights()[0].arraySync() as number[][];
  return Array.from({ length: K }, (_, k) => W.map((row) => row[k]));
}

function predict(m: tfl.LayersModel, x: tf.Tensor): Int32Array {
  const p = tf.tidy(() => tf.cast(tf.argMax(m.predict(x) as tf.Tensor, 1), 'int32'));
  const v = p.dataSync() as Int32Array;
  p.dispose();
  return v;
}

function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

describe('certified radii on a linear model', () => {
  it('perturbations shorter than the radius never change the prediction', () => {
    const m = linearModel();
    const L = lipschitzUpperBounds(m, { maxIters: 2000, tol: 1e-8, seed: 1 }).upper;
    const n = 40;
    const x = tf.randomUniform([n, ...SHAPE], 0, 1, 'float32', 3) as tf.Tensor4D;
    const pred = predict(m, x);
    // Every fourth label is wrong on purpose: those points must get radius 0.
    const labels = Array.from(pred, (p, i) => (i % 4 === 3 ? (p + 1) % K : p));
    const y = tf.tensor1d(labels, 'int32');
    const radii = certifiedRadii(m, x, y, L);
    const cols = weightsOf(m);
    const xs = x.arraySync().map((img) => img.flat(2));

    const checkPerturbations = (r: number[], expectFlip: boolean): number => {
      const deltas: number[][] = [];
      const owners: number[] = [];
      for (let i = 0; i < n; i++) {
        if (labels[i] !== pred[i]) {
          assert.equal(r[i], 0, `misclassified point ${i} has radius ${r[i]}`);
          continue;
        }
        assert.ok(r[i] > 0);
        // Worst case for each rival class j: straight down the gradient of f_y − f_j.
        // 0.99 (not 0.999·r) leaves ≥1% of the margin, above float32 rounding of the logits.
        for (let j = 0; j < K; j++) {
          if (j === labels[i]) continue;
          const d = unit(cols[labels[i]].map((w, t) => -(w - cols[j][t])));
          deltas.push(d.map((v) => v * 0.99 * r[i]));
          owners.push(i);
        }
        for (let t = 0; t < 10; t++) {
          const g = tf.tidy(() => tf.randomNormal([D], 0, 1, 'float32', i * 100 + t).arraySync() as number[]);
          deltas.push(unit(g).map((v) => v * 0.99 * r[i]));
          owners.push(i);
        }
      }
      const xp = tf.tensor4d(deltas.flatMap((d, k) => xs[owners[k]].map((v, t) => v + d[t])), [deltas.length, ...SHAPE]);
      const p2 = predict(m, xp);
      xp.dispose();
      let flips = 0;
      p2.forEach((p, k) => {
        if (p !== labels[owners[k]]) flips++;
      });
      if (!expectFlip) assert.equal(flips, 0, `${flips} predictions changed inside the certified radius`);
      return flips;
    };
    checkPerturbations(radii, false);
    // Negative control: radii 3× too large (as if L were under-estimated) are violated.
    assert.ok(checkPerturbations(radii.map((r) => r * 3), true) > 0, 'the worst-case check cannot detect an unsound radius');

    const acc = certifiedAccuracy(radii, [0, 1e-3, 1e9]);
    const correct = labels.filter((l, i) => l === pred[i]).length;
    assert.equal(acc[0], correct / n);
    assert.equal(acc[2], 0);
    tf.dispose([x, y]);
    m.dispose();
  });

  it('certifiedAccuracy counts all points, strictly above ε', () => {
    assert.deepEqual(certifiedAccuracy([0, 0.5, 1, 2], [0, 0.5, 1.5, 3]), [0.75, 0.5, 0.25, 0]);
    assert.deepEqual(certifiedAccuracy([], [0]), [0]);
  });

  it('rejects a non-positive L', () => {
    const m = linearModel();
    const x = tf.zeros([2, ...SHAPE]);
    const y = tf.tensor1d([0, 1], 'int32');
    assert.throws(() => certifiedRadii(m, x, y, 0), /positive/);
    tf.dispose([x, y]);
    m.dispose();
  });
});

describe('empirical lower bounds', () => {
  it('gradient bound on a linear model is max_j ‖w_y − w_j‖/√2 over runner-ups, and ≤ σ_max', () => {
    const m = linearModel();
    const x = tf.randomUniform([10, ...SHAPE], 0, 1, 'float32', 8) as tf.Tensor4D;
    const y = tf.tensor1d(Array.from({ length: 10 }, (_, i) => i % K), 'int32');
    const before = tf.memory().numTensors;
    const g = gradientLowerBound(m, x, y, { batchSize: 4 });
    assert.equal(tf.memory().numTensors, before, 'gradientLowerBound leaked tensors');
    assert.equal(g.evaluated, 10);
    const logits = (m.predict(x) as tf.Tensor).arraySync() as number[][];
    const cols = weightsOf(m);
    let want = 0;
    logits.forEach((z, i) => {
      const yi = i % K;
      let j = -1;
      z.forEach((v, k) => {
        if (k !== yi && (j < 0 || v > z[j])) j = k;
      });
      want = Math.max(want, Math.hypot(...cols[yi].map((w, t) => w - cols[j][t])) / Math.SQRT2);
    });
    assert.ok(Math.abs(g.value - want) / want < 1e-5, `${g.value} vs ${want}`);
    // Each example's value does not depend on the batch it was computed in.
    const whole = gradientLowerBound(m, x, y);
    assert.deepEqual([whole.value, whole.index, whole.evaluated], [g.value, g.index, g.evaluated]);
    const L = lipschitzUpperBounds(m, { maxIters: 2000, tol: 1e-8, seed: 1 }).upper;
    const more = gradientLowerBound(m, x, y, { randomDirections: 5, ascentSteps: 2, seed: 4 });
    assert.ok(more.value >= g.value * (1 - 1e-6) && more.value <= L * (1 + 1e-6));
    tf.dispose([x, y]);
    m.dispose();
  });

  it('pair bound: exact ratio on a linear model, skips (near-)identical pairs', () => {
    const m = linearModel();
    const x = tf.randomUniform([6, ...SHAPE], 0, 1, 'float32', 2) as tf.Tensor4D;
    const same = pairLowerBound(m, x, x);
    assert.equal(same.evaluated, 0);
    assert.equal(same.value, 0);
    assert.equal(same.index, -1);
    const delta = tf.randomNormal([6, ...SHAPE], 0, 0.1, 'float32', 5);
    const xAdv = tf.add(x, delta);
    const r = pairLowerBound(m, x, xAdv, { batchSize: 4 });
    // For f(x) = xW + b the ratio is ‖δW‖/‖δ‖, bias-free.
    const want = tf.tidy(() => {
      const W = m.layers[1].getWeights()[0];
      const d = tf.reshape(delta, [6, D]);
      return tf.max(tf.div(tf.norm(tf.matMul(d, W), 'euclidean', 1), tf.norm(d, 'euclidean', 1)));
    });
    assert.ok(Math.abs(r.value - want.dataSync()[0]) / r.value < 1e-4);
    assert.equal(r.evaluated, 6);
    const whole = pairLowerBound(m, x, xAdv);
    assert.deepEqual([whole.value, whole.index], [r.value, r.index]);
    tf.dispose([x, delta, xAdv, want]);
    m.dispose();
  });
});
