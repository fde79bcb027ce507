/**
 * Soundness of the local (IBP, CROWN) and global-Lipschitz (global, pairwise)
 * certificates: their bounds contain sampled outputs, no certified point is broken by
 * PGD with restarts or by a dense grid on a 2-D toy, CROWN is never looser than IBP,
 * and the pairwise radius is never below margin/(√2·L).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { chainOps, forwardOps, UnsupportedLayerError, type ChainOps } from '../src/lipschitz/chain-ops.js';
import { certifiedAccuracyByPropagation, marginLowerBounds, marginLowerBoundsBatch, type BallNorm } from '../src/lipschitz/bound-propagation.js';
import { lipschitzUpperBounds } from '../src/lipschitz/bounds.js';
import { lipschitzRadii } from '../src/lipschitz/pairwise.js';
import { buildModel, type ModelSpec } from '../src/models/index.js';
import { spectralNormLayers } from '../src/models/spectral-layers.js';
import { createAttack } from '../src/attacks/index.js';
import { runAttack } from '../src/attacks/run-attack.js';
import { mulberry32 } from '../src/util/rng.js';
import { testBackend } from './helpers/setup.js';
import { C, H, K, W, mlp, syntheticData } from './attacks-helpers.js';

before(async () => {
  await testBackend();
});

async function fit(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor1D, k: number, steps: number, lr = 0.01): Promise<tfl.LayersModel> {
  const opt = tf.train.adam(lr);
  for (let s = 0; s < steps; s++) {
    opt.minimize(() => tf.losses.softmaxCrossEntropy(tf.oneHot(y, k), model.apply(x, { training: true }) as tf.Tensor2D) as tf.Scalar)?.dispose();
  }
  opt.dispose();
  return model;
}

function smallCnn(seed: number): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [H, W, C], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed }) }),
      tfl.layers.conv2d({ filters: 6, kernelSize: 2, padding: 'valid', kernelInitializer: tfl.initializers.heNormal({ seed: seed + 1 }) }),
      tfl.layers.activation({ activation: 'relu' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 12, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: seed + 2 }) }),
      tfl.layers.dense({ units: K, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 3 }) }),
    ],
  });
}

interface Fixture {
  readonly name: string;
  readonly model: tfl.LayersModel;
  readonly chain: ChainOps;
  readonly x: tf.Tensor4D;
  readonly y: tf.Tensor1D;
}

let fixtures: Fixture[] | undefined;
async function nets(): Promise<Fixture[]> {
  if (fixtures) return fixtures;
  const train = syntheticData(120, 3, 0.45);
  const test = syntheticData(24, 9, 0.45);
  const m1 = await fit(mlp(5, 24), train.x, train.y, K, 60);
  const m2 = await fit(smallCnn(7), train.x, train.y, K, 60);
  // MaxMin bodies: CROWN relaxes relu(a − b) inside each pair.
  const m3 = await fit(buildModel({ kind: 'mlp', hidden: [24, 16], activation: 'maxmin' }, [H, W, C], K, 3), train.x, train.y, K, 60);
  const m4 = await fit(buildModel({ kind: 'convnet', conv: [{ filters: 4, kernel: 3, stride: 2 }], dense: [12], activation: 'maxmin' }, [H, W, C], K, 4), train.x, train.y, K, 60);
  tf.dispose([train.x, train.y]);
  fixtures = [
    { name: 'trained mlp', model: m1, chain: chainOps(m1), x: test.x, y: test.y },
    { name: 'trained cnn', model: m2, chain: chainOps(m2), x: test.x, y: test.y },
    { name: 'trained maxmin mlp', model: m3, chain: chainOps(m3), x: test.x, y: test.y },
    { name: 'trained maxmin convnet', model: m4, chain: chainOps(m4), x: test.x, y: test.y },
  ];
  return fixtures;
}

/** Margins f_y − f_j (j ≠ y) at points [N, k]. */
function margins(logits: Float32Array | Int32Array | Uint8Array, labels: ArrayLike<number>, k: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    const row: number[] = [];
    for (let j = 0; j < k; j++) if (j !== y) row.push(logits[i * k + y]! - logits[i * k + j]!);
    out.push(row);
  }
  return out;
}

/** `count` random points in the ε-ball around each x (∩ [0,1] for ℓ∞), some on the sphere. */
function samplesInBall(x: tf.Tensor4D, norm: BallNorm, eps: number, count: number, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    const n = x.shape[0];
    const rep = tf.tile(x, [count, 1, 1, 1]) as tf.Tensor4D;
    let d: tf.Tensor;
    if (norm === 'linf') {
      // Corners and interior: sign noise for half, uniform for the rest.
      const u = tf.randomUniform(rep.shape, -1, 1, 'float32', seed);
      d = tf.mul(tf.concat([tf.sign(tf.slice(u, 0, n * Math.floor(count / 2))), tf.slice(u, n * Math.floor(count / 2))]), eps);
    } else {
      const g = tf.randomNormal(rep.shape, 0, 1, 'float32', seed);
      const nrm = tf.sqrt(tf.sum(tf.square(g), [1, 2, 3], true));
      const r = tf.randomUniform([rep.shape[0], 1, 1, 1], 0.5, 1, 'float32', seed + 1);
      d = tf.mul(tf.div(g, nrm), tf.mul(r, eps));
    }
    const p = tf.add(rep, d);
    return (norm === 'linf' ? tf.clipByValue(p, 0, 1) : p) as tf.Tensor4D;
  });
}

test('the ops of a chain compute the model (dropout as identity, SN kernels, a final softmax stripped); unknown layers are refused by name', async () => {
  const x = syntheticData(6, 1).x;
  const withExtras = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [H, W, C] }),
      tfl.layers.dense({ units: 10, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
      tfl.layers.dropout({ rate: 0.5 }),
      tfl.layers.dense({ units: K, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
      tfl.layers.activation({ activation: 'softmax' }),
    ],
  });
  const sn = buildModel({ kind: 'cnn', filters: [3], dense: 8 }, [H, W, C], K, 1, { layers: spectralNormLayers({ sigma: 'operator' }) });
  for (const m of [withExtras, sn]) {
    if (m === sn) {
      // The CNN has max-pooling, which bound propagation does not handle: refused by name.
      assert.throws(() => chainOps(m), (e: unknown) => e instanceof UnsupportedLayerError && /pool_1/.test(e.message));
      continue;
    }
    const chain = chainOps(m);
    assert.equal(chain.strippedSoftmax, true);
    const ours = forwardOps(chain, x);
    const theirs = tf.tidy(() => tf.softmax(ours));
    const ref = m.predict(x) as tf.Tensor;
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(theirs, ref))).dataSync()[0]!);
    assert.ok(diff < 1e-5, `softmax(ops) differs from the model by ${diff}`);
    tf.dispose([ours, theirs, ref]);
    chain.dispose();
  }
  const snMlp = buildModel({ kind: 'mlp', hidden: [12] }, [H, W, C], K, 1, { layers: spectralNormLayers({}) });
  const chain = chainOps(snMlp);
  const ours = forwardOps(chain, x);
  const ref = snMlp.predict(x) as tf.Tensor;
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(ours, ref))).dataSync()[0]!);
  assert.ok(diff < 1e-5, `SN chain differs from the model by ${diff}`);
  tf.dispose([ours, ref, x]);
  chain.dispose();
});

test('IBP and CROWN margin bounds contain the margins at sampled points of the ball, and CROWN is never looser than IBP', async () => {
  for (const f of await nets()) {
    for (const [norm, epsList] of [['linf', [0.02, 0.08]], ['l2', [0.1, 0.4]]] as const) {
      for (const eps of epsList) {
        const ibp = marginLowerBoundsBatch(f.chain, f.x, f.y, { norm, eps }, 'ibp');
        const crown = marginLowerBoundsBatch(f.chain, f.x, f.y, { norm, eps }, 'crown');
        const lbI = ibp.arraySync();
        const lbC = crown.arraySync();
        tf.dispose([ibp, crown]);
        // Random points of the ball, plus PGD's (CW loss) worst points, which sit where the margin is smallest.
        const count = 40;
        const attack = createAttack(norm === 'linf' ? 'pgd-linf' : 'pgd-l2', { steps: 20, restarts: 2, loss: 'cw', relStepSize: 0.1 });
        const adv = (await runAttack(f.model, f.x, f.y, attack, [eps], { seed: 5, keepAdversarial: true })).perEps[0]!.adversarial!;
        const random = samplesInBall(f.x, norm, eps, count - 1, 11);
        const pts = tf.concat([random, adv]);
        tf.dispose([random, adv]);
        const z = forwardOps(f.chain, pts);
        const labels = Array.from({ length: count }, () => Array.from(f.y.dataSync())).flat();
        const m = margins(z.dataSync(), labels, K);
        tf.dispose([pts, z]);
        const n = f.x.shape[0];
        let gapSum = 0;
        for (let s = 0; s < m.length; s++) {
          const i = s % n;
          m[s]!.forEach((v, j) => {
            const tol = 1e-4 * (1 + Math.abs(v));
            assert.ok(v >= lbC[i]![j]! - tol, `${f.name} ${norm} ε=${eps}: sampled margin ${v} < CROWN bound ${lbC[i]![j]}`);
            assert.ok(v >= lbI[i]![j]! - tol, `${f.name} ${norm} ε=${eps}: sampled margin ${v} < IBP bound ${lbI[i]![j]}`);
          });
        }
        for (let i = 0; i < n; i++) {
          lbC[i]!.forEach((c, j) => {
            const b = lbI[i]![j]!;
            assert.ok(c >= b - 1e-4 * (1 + Math.abs(b)), `${f.name} ${norm} ε=${eps}: CROWN ${c} looser than IBP ${b} (example ${i}, spec ${j})`);
            gapSum += c - b;
          });
        }
        // CROWN must buy something on trained nets at a non-trivial ε.
        assert.ok(gapSum > 0, `${f.name} ${norm} ε=${eps}: CROWN no tighter than IBP anywhere`);
      }
    }
  }
});

test('no point certified by IBP, CROWN, or the pairwise/global Lipschitz certificates is broken by PGD with restarts', async () => {
  for (const f of await nets()) {
    const bounds = lipschitzUpperBounds(f.model, { tol: 1e-7, maxIters: 2000, seed: 1 });
    const lip = lipschitzRadii(f.model, bounds, f.x, f.y);
    for (const [norm, epsList] of [['linf', [0.01, 0.03, 0.1]], ['l2', [0.05, 0.2, 0.6]]] as const) {
      const crown = certifiedAccuracyByPropagation(f.chain, f.x, f.y, norm, epsList, 'crown');
      const ibp = certifiedAccuracyByPropagation(f.chain, f.x, f.y, norm, epsList, 'ibp');
      let anyCertified = false;
      for (const loss of ['ce', 'cw'] as const) {
        const attack = createAttack(norm === 'linf' ? 'pgd-linf' : 'pgd-l2', { steps: 30, restarts: 4, loss, relStepSize: 0.1 });
        const r = await runAttack(f.model, f.x, f.y, attack, epsList, { seed: 3 });
        r.perEps.forEach((p, e) => {
          const eps = epsList[e]!;
          for (let i = 0; i < f.x.shape[0]; i++) {
            const certs: [string, boolean][] = [
              ['crown', crown[e]!.certified[i]!],
              ['ibp', ibp[e]!.certified[i]!],
              ...(norm === 'l2' ? ([['pairwise', lip.pairwise[i]! > eps], ['global', lip.global[i]! > eps]] as [string, boolean][]) : []),
            ];
            for (const [name, ok] of certs) {
              anyCertified ||= ok;
              assert.ok(!(ok && p.success[i] === 1), `${f.name} ${norm} ε=${eps}: point ${i} certified by ${name} but broken by PGD (${loss})`);
            }
          }
        });
      }
      assert.ok(anyCertified, `${f.name} ${norm}: nothing certified at any ε; the test would be vacuous`);
    }
  }
});

test('2-D toy: no point certified by CROWN/IBP is misclassified anywhere on a dense grid of its ball', async () => {
  // Three Gaussian blobs in [0,1]²; inputs are [1,2,1] images so the usual chain applies.
  const rand = mulberry32(4);
  const centres = [[0.25, 0.25], [0.75, 0.3], [0.5, 0.8]];
  const pts: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < 240; i++) {
    const k = i % 3;
    pts.push(centres[k]![0]! + 0.12 * (rand() + rand() - 1), centres[k]![1]! + 0.12 * (rand() + rand() - 1));
    ys.push(k);
  }
  const x = tf.tensor4d(pts, [240, 1, 2, 1]);
  const y = tf.tensor1d(ys, 'int32');
  const model = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [1, 2, 1] }),
      tfl.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: 1 }) }),
      tfl.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: 2 }) }),
      tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  await fit(model, x, y, 3, 150, 0.03);
  const chain = chainOps(model);
  const xs = tf.slice(x, 0, 30) as tf.Tensor4D;
  const yv = Array.from(y.dataSync()).slice(0, 30);
  const ysub = tf.tensor1d(yv, 'int32');
  const G = 41;
  let checked = 0;
  for (const [norm, eps] of [['linf', 0.05], ['linf', 0.12], ['l2', 0.08], ['l2', 0.15]] as const) {
    for (const method of ['ibp', 'crown'] as const) {
      const cert = certifiedAccuracyByPropagation(chain, xs, ysub, norm, [eps], method)[0]!.certified;
      const xv = xs.dataSync();
      for (let i = 0; i < 30; i++) {
        if (!cert[i]) continue;
        checked++;
        const grid: number[] = [];
        for (let a = 0; a < G; a++) {
          for (let b = 0; b < G; b++) {
            const da = eps * (2 * a / (G - 1) - 1);
            const db = eps * (2 * b / (G - 1) - 1);
            if (norm === 'l2' && da * da + db * db > eps * eps) continue;
            const p = [xv[2 * i]! + da, xv[2 * i + 1]! + db];
            if (norm === 'linf' && p.some((v) => v < 0 || v > 1)) continue;
            grid.push(...p);
          }
        }
        const g = tf.tensor4d(grid, [grid.length / 2, 1, 2, 1]);
        const pred = tf.tidy(() => tf.argMax(forwardOps(chain, g), 1));
        const wrong = Array.from(pred.dataSync()).filter((c) => c !== yv[i]).length;
        tf.dispose([g, pred]);
        assert.equal(wrong, 0, `${method} ${norm} ε=${eps}: point ${i} certified but ${wrong} grid points are misclassified`);
      }
    }
  }
  assert.ok(checked > 20, `only ${checked} certified points were checked`);
  tf.dispose([x, y, xs, ysub]);
  chain.dispose();
});

test('the pairwise radius is never below margin/(√2·L), and is above it somewhere, on every model of a small grid', async () => {
  const data = syntheticData(30, 21, 0.3);
  const specs: ModelSpec[] = [
    { kind: 'mlp', hidden: [16, 8] },
    { kind: 'mlp', hidden: [32] },
    { kind: 'cnn', filters: [3, 4], dense: 8 },
  ];
  let strictlyBetter = 0;
  for (const spec of specs) {
    for (const seed of [0, 1]) {
      for (const sn of [false, true]) {
        const model = buildModel(spec, [H, W, C], K, seed, sn ? { layers: spectralNormLayers({}) } : {});
        if (seed === 1) await fit(model, data.x, data.y, K, 20);
        const bounds = lipschitzUpperBounds(model, { tol: 1e-7, maxIters: 2000, seed: 2 });
        const r = lipschitzRadii(model, bounds, data.x, data.y);
        const slack = 1e-6 + bounds.maxRelChange;
        r.pairwise.forEach((p, i) => {
          assert.ok(p >= r.global[i]! * (1 - slack), `${spec.kind} seed ${seed} sn=${sn}: pairwise ${p} < global ${r.global[i]} at ${i}`);
          if (p > r.global[i]! * 1.01) strictlyBetter++;
        });
        // Every K_yj ≤ √2·L: the inequality behind the ordering, per pair.
        for (const row of r.constants.K) for (const kv of row) assert.ok(kv <= Math.SQRT2 * bounds.upper * (1 + slack));
      }
    }
  }
  assert.ok(strictlyBetter > 0, 'the pairwise radius never beat the global one');
  tf.dispose([data.x, data.y]);
});

test('certified accuracy by propagation is monotone in ε and 0 for misclassified points; marginLowerBounds respects `only`', async () => {
  const f = (await nets())[0]!;
  const res = certifiedAccuracyByPropagation(f.chain, f.x, f.y, 'l2', [0.3, 0, 0.1], 'crown');
  assert.ok(res[1]!.accuracy >= res[2]!.accuracy && res[2]!.accuracy >= res[0]!.accuracy);
  const pred = tf.tidy(() => tf.argMax(forwardOps(f.chain, f.x), 1).dataSync());
  const yv = f.y.dataSync();
  res[1]!.certified.forEach((c, i) => assert.ok(!c || pred[i] === yv[i], `misclassified point ${i} certified at ε=0`));
  const only = Array.from({ length: f.x.shape[0] }, (_, i) => i % 2 === 0);
  const lb = marginLowerBounds(f.chain, f.x, f.y, { norm: 'linf', eps: 0.01 }, 'ibp', { only });
  lb.forEach((v, i) => assert.equal(Number.isFinite(v), only[i]));
});
