import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { gradientPenalty, criticGradNorms } from '../src/wgan/penalty.js';
import { testBackend } from './helpers/setup.js';

type Act = 'leaky' | 'tanh';
const act = (a: Act) => (a === 'leaky' ? tfl.layers.leakyReLU({ alpha: 0.2 }) : tfl.layers.activation({ activation: 'tanh' }));

/** conv 3×3/2 → act → conv 3×3/2 → act → flatten → dense 1, on 6×6×1: the critic's shape, tiny. */
function tinyCritic(scale: number, a: Act): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: tfl.initializers.randomNormal({ stddev: 0.5 * scale, seed: 3 }), biasInitializer: tfl.initializers.randomNormal({ stddev: 0.1, seed: 4 }) }),
      act(a),
      tfl.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: tfl.initializers.randomNormal({ stddev: 0.5 * scale, seed: 5 }) }),
      act(a),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.randomNormal({ stddev: 0.5 * scale, seed: 6 }) }),
    ],
  });
  return m;
}

/**
 * ∂GP/∂W by double backprop against central finite differences of GP(W) in every
 * entry of every kernel and bias. The interpolation seed is fixed, so GP is a
 * deterministic function of the weights. With leaky ReLUs GP jumps where a unit
 * changes sign (‖∇ₓD‖ depends on the activation pattern), so entries whose forward and
 * backward differences disagree (a kink inside [w−h, w+h]) are skipped, and most
 * entries must remain; tanh is smooth everywhere, and exercises the second-order
 * gradients of an output-saving op (src/kernels/gradients/recompute.ts).
 */
async function checkAgainstFiniteDifferences(oneSided: boolean, scale: number, a: Act): Promise<void> {
  const critic = tinyCritic(scale, a);
  const real = tf.randomUniform([5, 6, 6, 1], 0, 1, 'float32', 11) as tf.Tensor4D;
  const fake = tf.randomUniform([5, 6, 6, 1], 0, 1, 'float32', 12) as tf.Tensor4D;
  const o = { lambda: 10, target: 1, oneSided };
  const gp = () => gradientPenalty(critic, real, fake, o, 99);
  const vars = critic.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(gp, vars);
  assert.ok(value.dataSync()[0]! > 1e-3, `penalty ${value.dataSync()[0]} should be clearly positive for this check to mean anything`);
  let maxErr = 0;
  let maxGrad = 0;
  let checked = 0;
  let total = 0;
  const h = 2e-3;
  for (const v of vars) {
    // No entry: the penalty does not depend on v (the output bias, which ∇ₓD ignores).
    const g = grads[v.name]?.dataSync() ?? new Float32Array(v.size);
    const base = Float32Array.from(v.dataSync());
    for (let i = 0; i < base.length; i++) {
      const at = (delta: number): number => {
        const w = Float32Array.from(base);
        w[i]! += delta;
        v.assign(tf.tensor(w, v.shape));
        return tf.tidy(() => gp().dataSync()[0]!);
      };
      const f0 = at(0);
      const fwd = (at(h) - f0) / h;
      const bwd = (f0 - at(-h)) / h;
      const fd = (fwd + bwd) / 2;
      v.assign(tf.tensor(base, v.shape));
      total++;
      if (Math.abs(fwd - bwd) > 0.05 * (1 + Math.abs(fd))) continue; // a kink in between
      checked++;
      maxErr = Math.max(maxErr, Math.abs(fd - g[i]!) / (1 + Math.abs(fd)));
      maxGrad = Math.max(maxGrad, Math.abs(g[i]!));
    }
  }
  assert.ok(checked >= 0.8 * total, `only ${checked} of ${total} entries were free of kinks`);
  assert.ok(maxGrad > 1e-2, `the penalty's gradient is ~0 (${maxGrad}); nothing was checked`);
  assert.ok(maxErr < 2e-2, `max relative |double backprop − finite difference| = ${maxErr}`);
  critic.dispose();
  tf.dispose([real, fake, value, ...Object.values(grads)]);
}

test('two-sided gradient penalty: weight gradient matches finite differences on a tiny leaky-ReLU conv critic', async () => {
  await testBackend();
  await checkAgainstFiniteDifferences(false, 1, 'leaky');
});

test('two-sided gradient penalty: weight gradient matches finite differences on a tiny tanh conv critic', async () => {
  await testBackend();
  await checkAgainstFiniteDifferences(false, 1, 'tanh');
});

test('one-sided gradient penalty: weight gradient matches finite differences (critic scaled so ‖∇D‖ > 1)', async () => {
  await testBackend();
  await checkAgainstFiniteDifferences(true, 3, 'leaky');
});

test('criticGradNorms are per-example ‖∇ₓD‖ (checked against a linear critic, where ∇ₓD = w)', async () => {
  await testBackend();
  const critic = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [2, 2, 1] }), tfl.layers.dense({ units: 1, kernelInitializer: 'ones' })] });
  critic.getLayer(critic.layers[1]!.name).setWeights([tf.tensor2d([[1], [2], [-2], [4]]), tf.tensor1d([0.5])]);
  const x = tf.randomUniform([3, 2, 2, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
  const n = criticGradNorms(critic, x).dataSync();
  for (const v of n) assert.ok(Math.abs(v - 5) < 1e-5, `‖w‖ = 5, got ${v}`);
});
