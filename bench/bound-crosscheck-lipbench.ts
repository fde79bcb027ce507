/**
 * lipbench's side of bench/bound-crosscheck.py: the min-over-j margin lower bounds of
 * lipschitz/bound-propagation.ts (IBP and CROWN) for the first n MNIST test points, as
 * JSON on stdout, plus the labels and the chain's logits (so the caller can check that it
 * reads the same model and points).
 *
 *   node --import tsx bench/bound-crosscheck-lipbench.ts MODEL_JSON -n 30 \
 *     --ball l2:0.3 --ball linf:0.1 [--backend auto|cpu|wasm|wasm+native]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, BackendChoice } from '../src/node/backend.js';
import { loadModel } from '../src/node/model-files.js';
import { loadMnist } from '../src/node/mnist.js';
import { chainOps, forwardOps } from '../src/lipschitz/chain-ops.js';
import { marginLowerBounds, type BallNorm } from '../src/lipschitz/bound-propagation.js';

function usage(msg: string): never {
  process.stderr.write(`bound-crosscheck-lipbench: ${msg}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let modelJson: string | undefined;
let n = 30;
let backend: BackendChoice = 'auto';
const balls: { norm: BallNorm; eps: number; key: string }[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  const next = () => args[++i] ?? usage(`${a} needs a value`);
  if (a === '-n') n = Number(next());
  else if (a === '--backend') {
    const b = BackendChoice.safeParse(next());
    if (!b.success) usage(`--backend: one of ${BackendChoice.options.join(', ')}`);
    backend = b.data;
  } else if (a === '--ball') {
    const key = next();
    const [norm, eps] = key.split(':');
    if ((norm !== 'l2' && norm !== 'linf') || !(Number(eps) >= 0)) usage(`--ball: norm:eps with norm l2 or linf, got ${key}`);
    balls.push({ norm, eps: Number(eps), key: `${norm}:${Number(eps)}` });
  } else if (!modelJson) modelJson = a;
  else usage(`unexpected argument ${a}`);
}
if (!modelJson) usage('give a model.json');
if (!(Number.isInteger(n) && n >= 1)) usage(`-n: a positive integer, got ${n}`);

const info = await initBackend(backend);
const model = await loadModel(modelJson);
const chain = chainOps(model);
const { test } = loadMnist({ trainSize: 1, testSize: n });
const out: Record<string, { ibp: number[]; crown: number[]; seconds: Record<string, number> }> = {};
try {
  for (const b of balls) {
    const entry = { ibp: [] as number[], crown: [] as number[], seconds: {} as Record<string, number> };
    for (const m of ['ibp', 'crown'] as const) {
      const t0 = performance.now();
      entry[m] = marginLowerBounds(chain, test.x, test.y, { norm: b.norm, eps: b.eps }, m);
      entry.seconds[m] = (performance.now() - t0) / 1000;
    }
    out[b.key] = entry;
  }
  const logits = tf.tidy(() => forwardOps(chain, test.x).arraySync());
  process.stdout.write(JSON.stringify({ backend: info.name, labels: Array.from(test.y.dataSync()), logits, bounds: out }) + '\n');
} finally {
  chain.dispose();
  model.dispose();
}
