import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/node/backend.js';
import { lipschitzUpperBounds } from '../src/lipschitz/bounds.js';
import { gradientLowerBound, pairLowerBound } from '../src/lipschitz/empirical.js';
import { layerNorms } from '../src/lipschitz/bounds.js';
import type { LayerNorm } from '../src/lipschitz/layer-norms.js';
import { registerLayerHandler } from '../src/lipschitz/registry.js';
import type { LayerRow, RunKey } from '../src/results/rows.js';

// Compile-time: a LayerNorm plus a run key is a LayerRow.
const _rowCompatible = (n: LayerNorm, k: RunKey): LayerRow => ({ ...k, ...n });
void _rowCompatible;

const IMG: [number, number, number] = [8, 8, 1];
// tol 1e-6 sits above float32 noise in σ̂ (~1e-7), so convergence is reliably reached.
const PI = { maxIters: 3000, tol: 1e-6, seed: 3 };
// Seeded initialisers keep every run of this file identical.
const seeded = (seed: number) => tfl.initializers.glorotUniform({ seed });

before(async () => {
  await initBackend('cpu');
});

function mlp(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: IMG }),
      tfl.layers.dense({ units: 16, activation: 'relu', kernelInitializer: seeded(1) }),
      tfl.layers.dropout({ rate: 0.2 }),
      tfl.layers.dense({ units: 12, activation: 'tanh', kernelInitializer: seeded(2) }),
      tfl.layers.dense({ units: 4, kernelInitializer: seeded(3) }),
    ],
  });
}

function cnn(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: IMG, filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: seeded(4) }),
      tfl.layers.batchNormalization(),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, kernelInitializer: seeded(5) }),
      tfl.layers.activation({ activation: 'relu' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 4, kernelInitializer: seeded(6) }),
    ],
  });
}

/** Overlapping max-pool, average pooling and a sigmoid: the non-trivial factors. */
function cnnOverlap(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: IMG, filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid', kernelInitializer: seeded(7) }),
      tfl.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }),
      tfl.layers.conv2d({ filters: 4, kernelSize: 2, padding: 'same', activation: 'relu', kernelInitializer: seeded(8) }),
      tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 3, kernelInitializer: seeded(9) }),
    ],
  });
}

function data(n: number, classes: number, seed: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  return tf.tidy(() => {
    const x = tf.randomUniform([n, ...IMG], 0, 1, 'float32', seed) as tf.Tensor4D;
    const teacher = tf.randomNormal([IMG[0] * IMG[1] * IMG[2], classes], 0, 1, 'float32', seed + 1);
    const y = tf.cast(tf.argMax(tf.matMul(tf.sub(tf.reshape(x, [n, -1]), 0.5), teacher), 1), 'int32') as tf.Tensor1D;
    return { x, y };
  });
}

async function train(model: tfl.LayersModel, classes: number): Promise<void> {
  const { x, y } = data(64, classes, 77);
  const yHot = tf.oneHot(y, classes);
  model.compile({ optimizer: tf.train.adam(0.02), loss: (t: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(t, p) });
  // 4 epochs × 8 batches = 32 steps.
  await model.fit(x, yHot, { epochs: 4, batchSize: 8, verbose: 0, shuffle: false });
  tf.dispose([x, y, yHot]);
}

function checkSoundness(model: tfl.LayersModel, classes: number, label: string): void {
  const b = lipschitzUpperBounds(model, PI);
  assert.ok(b.converged, `${label}: power iteration did not converge (maxRelChange ${b.maxRelChange})`);
  assert.ok(b.upper > 0 && Number.isFinite(b.upper));
  assert.ok(b.upper <= b.upperFrobenius * (1 + 1e-6), `${label}: operator ${b.upper} > Frobenius ${b.upperFrobenius}`);
  for (const n of b.layers) assert.ok(n.operatorSigma <= n.frobenius * (1 + 1e-6), `${label}/${n.layer}: σ ${n.operatorSigma} > F ${n.frobenius}`);

  const { x, y } = data(48, classes, 5);
  const grad = gradientLowerBound(model, x, y, { batchSize: 16, randomDirections: 2, ascentSteps: 3, seed: 1 });
  assert.ok(grad.value > 0, `${label}: zero gradient bound`);
  assert.ok(grad.value <= b.upper, `${label}: gradient lower ${grad.value} > upper ${b.upper}`);

  // Pairs at several scales, all inside [0,1].
  for (const scale of [0.01, 0.1, 1]) {
    const xAdv = tf.tidy(() => tf.clipByValue(tf.add(x, tf.randomNormal(x.shape, 0, scale, 'float32', 9)), 0, 1));
    const pair = pairLowerBound(model, x, xAdv, { batchSize: 16 });
    xAdv.dispose();
    assert.ok(pair.evaluated > 0);
    assert.ok(pair.value <= b.upper, `${label}: pair lower ${pair.value} > upper ${b.upper} at scale ${scale}`);
  }
  // Independent random pairs: ‖f(x)−f(x′)‖ ≤ upper·‖x−x′‖.
  const ratios = tf.tidy(() => {
    const a = tf.randomUniform([64, ...IMG], 0, 1, 'float32', 21);
    const c = tf.randomUniform([64, ...IMG], 0, 1, 'float32', 22);
    const df = tf.norm(tf.sub(model.predict(a) as tf.Tensor, model.predict(c) as tf.Tensor), 'euclidean', 1);
    const dx = tf.norm(tf.reshape(tf.sub(a, c), [64, -1]), 'euclidean', 1);
    return tf.div(df, dx);
  });
  const worst = tf.max(ratios);
  assert.ok(worst.dataSync()[0] <= b.upper, `${label}: random pair ratio ${worst.dataSync()[0]} > upper ${b.upper}`);
  tf.dispose([ratios, worst, x, y]);
}

describe('lipschitzUpperBounds soundness', () => {
  const builders: [string, () => tfl.LayersModel, number][] = [
    ['mlp', mlp, 4],
    ['cnn', cnn, 4],
    ['cnn-overlap', cnnOverlap, 3],
  ];
  for (const [name, build, classes] of builders) {
    it(`random ${name}: lower bounds ≤ upper`, () => {
      const m = build();
      checkSoundness(m, classes, `random ${name}`);
      m.dispose();
    });
    it(`trained ${name}: lower bounds ≤ upper`, async () => {
      const m = build();
      await train(m, classes);
      checkSoundness(m, classes, `trained ${name}`);
      m.dispose();
    });
  }

  it('reports the expected factors and products', () => {
    const m = cnnOverlap();
    const b = lipschitzUpperBounds(m, PI);
    const f = Object.fromEntries(b.factors.map((x) => [x.className, x.factor]));
    assert.equal(b.factors.length, 6);
    assert.equal(f.MaxPooling2D, 3); // 3×3 stride 1: 9 windows per pixel
    assert.ok(Math.abs(f.AveragePooling2D - 0.5) < 1e-6, `avgpool 2/2 same on 4×4: ${f.AveragePooling2D}`);
    const sigmoidConv = b.factors[0];
    assert.equal(sigmoidConv.factor, 0.25);
    const prod = b.layers.reduce((p, n) => p * n.operatorSigma, 1) * b.factors.reduce((p, x) => p * x.factor, 1);
    assert.ok(Math.abs(prod - b.upper) / b.upper < 1e-12);
    assert.deepEqual(b.layers.map((n) => n.kind), ['conv2d', 'conv2d', 'dense']);
    assert.equal(b.layers[2].reshapedSigma, null);
    m.dispose();
  });

  it('a single dense layer: upper = σ_max(W)', () => {
    const m = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [3, 3, 1] }), tfl.layers.dense({ units: 2, kernelInitializer: seeded(40) })] });
    const b = lipschitzUpperBounds(m, PI);
    const W = m.layers[1].getWeights()[0];
    // σ_max of a 9×2 matrix in closed form from its 2×2 Gram matrix.
    const exact = tf.tidy(() => {
      const g = tf.matMul(W, W, true, false); // 2×2 Gram
      const [a, bb, , d] = g.dataSync();
      const tr = a + d;
      const det = a * d - bb * bb;
      return tf.scalar(Math.sqrt(tr / 2 + Math.sqrt((tr * tr) / 4 - det)));
    });
    assert.ok(Math.abs(b.upper - exact.dataSync()[0]) / b.upper < 1e-4);
    exact.dispose();
    m.dispose();
  });

  it('nested Sequential inside a functional model gives the same bound as flat', () => {
    const inner = cnn();
    const input = tfl.input({ shape: IMG });
    const outer = tfl.model({ inputs: input, outputs: inner.apply(input) as tfl.SymbolicTensor });
    const a = lipschitzUpperBounds(inner, PI);
    const b = lipschitzUpperBounds(outer, PI);
    assert.ok(Math.abs(a.upper - b.upper) / a.upper < 1e-5);
    assert.equal(layerNorms(outer, PI).length, 3);
    outer.dispose();
  });
});

describe('layer dispatch', () => {
  it('an unknown layer class throws naming the layer and class', () => {
    const m = tfl.sequential({
      layers: [tfl.layers.depthwiseConv2d({ inputShape: IMG, kernelSize: 3, name: 'dw1' }), tfl.layers.flatten(), tfl.layers.dense({ units: 2 })],
    });
    assert.throws(() => lipschitzUpperBounds(m, PI), /'dw1'.*'DepthwiseConv2D'/);
    m.dispose();
  });

  it('an unknown activation throws', () => {
    const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 3, activation: 'swish' as 'relu', name: 'sw' })] });
    assert.throws(() => lipschitzUpperBounds(m, PI), /swish.*'sw'/);
    m.dispose();
  });

  it('new layer classes can register their own handler', () => {
    const m = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [2, 2, 1] }), tfl.layers.repeatVector({ n: 4 }), tfl.layers.flatten()] });
    assert.throws(() => lipschitzUpperBounds(m, PI), /RepeatVector/);
    // Copying the input n times multiplies norms by √n.
    registerLayerHandler('RepeatVector', () => ({ factor: 2, note: 'repeat 4: √4' }));
    assert.equal(lipschitzUpperBounds(m, PI).upper, 2);
    m.dispose();
  });

  it('branching models are rejected rather than bounded by a product', () => {
    const input = tfl.input({ shape: [4] });
    const a = tfl.layers.dense({ units: 4 }).apply(input) as tfl.SymbolicTensor;
    const sum = tfl.layers.add({ name: 'residual' }).apply([input, a]) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: input, outputs: sum });
    assert.throws(() => lipschitzUpperBounds(m, PI), /not a simple chain at layer 'residual'/);
    m.dispose();
  });
});
