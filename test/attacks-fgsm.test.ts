/**
 * One-step attacks against the closed form on a linear softmax model:
 * logits = xᵀK + b, so ∇ₓ CE = K(softmax − onehot(y)) and ∇ₓ CW = K[:, j*] − K[:, y].
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/node/backend.js';
import { createAttack } from '../src/attacks/index.js';
import { mulberry32 as mulberry } from '../src/util/rng.js';
import { linearModel, syntheticData, D, K } from './attacks-helpers.js';

const rand = mulberry(42);
const kernel = Float32Array.from({ length: D * K }, () => (rand() * 2 - 1) * 0.5);
const bias = Float32Array.from({ length: K }, () => rand() - 0.5);
const N = 9;

let xs: Float32Array;
let ys: Int32Array;

before(async () => {
  await initBackend('cpu');
  const d = syntheticData(N, 11);
  xs = d.x.dataSync() as Float32Array;
  ys = d.y.dataSync() as Int32Array;
  tf.dispose([d.x, d.y]);
});

function hostLogits(i: number): number[] {
  return Array.from({ length: K }, (_, k) => {
    let s = bias[k]!;
    for (let j = 0; j < D; j++) s += xs[i * D + j]! * kernel[j * K + k]!;
    return s;
  });
}

/** ∇ₓ of the attacker objective for example i, in float64. */
function hostGrad(i: number, loss: 'ce' | 'cw', target?: number): number[] {
  const z = hostLogits(i);
  const coef = new Array<number>(K).fill(0);
  const cls = target ?? ys[i]!;
  if (loss === 'ce') {
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    // Untargeted ascends CE(y); targeted ascends −CE(t).
    const sign = target === undefined ? 1 : -1;
    for (let k = 0; k < K; k++) coef[k] = sign * (e[k]! / s - (k === cls ? 1 : 0));
  } else {
    let best = -1;
    for (let k = 0; k < K; k++) if (k !== cls && (best < 0 || z[k]! > z[best]!)) best = k;
    const sign = target === undefined ? 1 : -1;
    coef[best] = sign;
    coef[cls] = -sign;
  }
  return Array.from({ length: D }, (_, j) => coef.reduce((a, c, k) => a + c * kernel[j * K + k]!, 0));
}

function expected(eps: number, norm: 'linf' | 'l2', loss: 'ce' | 'cw', targeted: boolean): Float32Array {
  const out = new Float32Array(N * D);
  for (let i = 0; i < N; i++) {
    const g = hostGrad(i, loss, targeted ? (ys[i]! + 1) % K : undefined);
    const gn = Math.sqrt(g.reduce((a, v) => a + v * v, 0));
    for (let j = 0; j < D; j++) {
      const step = norm === 'linf' ? Math.sign(g[j]!) : g[j]! / gn;
      out[i * D + j] = Math.min(1, Math.max(0, xs[i * D + j]! + eps * step));
    }
  }
  return out;
}

const CASES = [
  { name: 'fgsm', norm: 'linf', loss: 'ce', targeted: false, eps: [0.02, 0.1, 0.3] },
  { name: 'fgsm', norm: 'linf', loss: 'cw', targeted: false, eps: [0.1] },
  { name: 'fgsm', norm: 'linf', loss: 'ce', targeted: true, eps: [0.1] },
  { name: 'fgm-l2', norm: 'l2', loss: 'ce', targeted: false, eps: [0.3, 1, 3] },
  { name: 'fgm-l2', norm: 'l2', loss: 'cw', targeted: true, eps: [1] },
] as const;

for (const c of CASES) {
  test(`${c.name} loss=${c.loss} targeted=${c.targeted} equals the analytic step on a linear model`, async () => {
    const model = linearModel(kernel, bias);
    const attack = createAttack(c.name, { loss: c.loss, target: c.targeted ? 'next' : 'none' });
    const x = tf.tensor4d(xs, [N, 8, 8, 1]);
    const y = tf.tensor1d(ys, 'int32');
    for (const eps of c.eps) {
      const adv = attack.perturb(model, x, y, eps);
      const got = (await adv.data()) as Float32Array;
      adv.dispose();
      const want = expected(eps, c.norm, c.loss, c.targeted);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      assert.ok(worst < 1e-5, `ε=${eps}: max |got − analytic| = ${worst}`);
      // A perturbation that did nothing would pass trivially against a wrong "want"; make sure it moved.
      let moved = 0;
      for (let i = 0; i < got.length; i++) moved = Math.max(moved, Math.abs(got[i]! - xs[i]!));
      assert.ok(moved > 0);
    }
    tf.dispose([x, y]);
    model.dispose();
  });
}
