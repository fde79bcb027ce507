/**
 * `lipbench certify`: bad input exits 2 with one line naming the field or layer; a final
 * softmax is stripped (same numbers as the logit model) and Dropout is the identity.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { saveModel } from '../src/node/model-files.js';
import { certifySavedModel } from '../src/pipeline/certify-saved.js';
import { runCli, tempDir } from './helpers/cli.js';
import { testBackend } from './helpers/setup.js';

const dir = tempDir('lipbench-certify-');

function mnistMlp(head: 'logits' | 'fused-softmax' | 'softmax-layer', extra?: tfl.layers.Layer): tfl.LayersModel {
  const layers: tfl.layers.Layer[] = [
    tfl.layers.flatten({ inputShape: [28, 28, 1] }),
    tfl.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }), biasInitializer: tfl.initializers.constant({ value: 0.1 }) }),
    tfl.layers.dropout({ rate: 0.3 }),
  ];
  if (extra) layers.push(extra);
  layers.push(tfl.layers.dense({ units: 10, activation: head === 'fused-softmax' ? 'softmax' : 'linear', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }));
  if (head === 'softmax-layer') layers.push(tfl.layers.softmax());
  return tfl.sequential({ layers });
}

async function saved(name: string, m: tfl.LayersModel): Promise<string> {
  const d = path.join(dir, name);
  await saveModel(m, d);
  return path.join(d, 'model.json');
}

before(async () => {
  await testBackend();
});

function expectExit2(args: string[], pattern: RegExp): void {
  const r = runCli(args);
  assert.equal(r.status, 2, `exit ${r.status}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
}

test('bad input: ε ≤ 0, an ℓ2-only certificate with --norm linf, an unknown certificate, an unknown layer', async () => {
  const ok = await saved('ok', mnistMlp('logits'));
  expectExit2(['certify', ok, '-e', '0,0.5'], /--eps: every ε must be a finite number > 0, got 0/);
  expectExit2(['certify', ok, '-e', '0.1', '--norm', 'linf', '-c', 'pairwise,crown'], /--certificates: pairwise only certify ℓ2 balls; with --norm linf use ibp or crown/);
  expectExit2(['certify', ok, '-e', '0.1', '-c', 'magic'], /--certificates: unknown certificate "magic"/);
  expectExit2(['certify', ok, '-e', '0.1', '--norm', 'l1'], /--norm: must be l2 or linf/);
  const odd = await saved('odd', mnistMlp('logits', tfl.layers.layerNormalization({ name: 'my_layernorm' })));
  expectExit2(['certify', odd, '-e', '0.1', '-n', '20', '--backend', 'cpu'], /layer 'my_layernorm' of class 'LayerNormalization'/);
  // Max-pooling: Lipschitz certificates work; bound propagation refuses it by name when asked for explicitly.
  const pooled = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
      tfl.layers.maxPooling2d({ poolSize: 2, name: 'the_pool' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 10 }),
    ],
  });
  const pooledJson = await saved('pooled', pooled);
  expectExit2(['certify', pooledJson, '-e', '0.1', '-n', '20', '-c', 'crown', '--backend', 'cpu'], /layer 'the_pool' \(MaxPooling2D\) is not supported/);
  const r = await certifySavedModel({ modelJson: pooledJson, eps: [0.1], norm: 'l2', dataset: 'mnist', n: 20, seed: 0 }, () => {});
  assert.deepEqual([...new Set(r.rows.map((x) => x.certificate))], ['global', 'pairwise']);
  assert.match(r.notes.join(), /ibp, crown skipped: .*the_pool/);
});

test('a final softmax (fused or a layer) is stripped: the same certificates as the logit model; Dropout is the identity', async () => {
  const logits = mnistMlp('logits');
  const fused = mnistMlp('fused-softmax');
  const layer = mnistMlp('softmax-layer');
  fused.setWeights(logits.getWeights());
  layer.setWeights(logits.getWeights());
  const opts = { eps: [0.02, 0.3], norm: 'l2', dataset: 'mnist', n: 60, seed: 0 } as const;
  const ref = await certifySavedModel({ ...opts, modelJson: await saved('logits', logits) }, () => {});
  assert.equal(ref.strippedSoftmax, false);
  assert.ok(ref.rows.some((r) => r.certifiedAcc > 0), 'nothing certified: the comparison would be vacuous');
  for (const [name, m] of [['fused', fused], ['layer', layer]] as const) {
    const r = await certifySavedModel({ ...opts, modelJson: await saved(name, m) }, () => {});
    assert.equal(r.strippedSoftmax, true, name);
    assert.equal(r.cleanAcc, ref.cleanAcc);
    assert.ok(Math.abs(r.lipUpper - ref.lipUpper) < 1e-4 * ref.lipUpper, `${name}: L ${r.lipUpper} vs ${ref.lipUpper}`);
    assert.deepEqual(r.rows.map((x) => [x.certificate, x.eps, x.certifiedAcc]), ref.rows.map((x) => [x.certificate, x.eps, x.certifiedAcc]), name);
  }
});
