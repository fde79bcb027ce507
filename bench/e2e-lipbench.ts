/**
 * The lipbench side of bench/e2e.ts: the plan as a lipbench experiment, run stage by
 * stage with the pipeline's own functions (what run-experiment and evaluate-run call),
 * timed per stage. Args: <plan json> <backend>. Prints `E2E <json>` (an E2EResult).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendChoice } from '../src/node/backend.js';
import { expandRuns, parseExperiment } from '../src/config/experiment.js';
import { buildModel } from '../src/models/index.js';
import { createRegularizer, layerFactoryFor } from '../src/regularizers/index.js';
import { trainModel } from '../src/train/loop.js';
import { evaluate } from '../src/train/evaluate.js';
import { DatasetCache } from '../src/pipeline/datasets.js';
import { headOf } from '../src/pipeline/evaluate-run.js';
import { attackStage } from '../src/pipeline/attack-stage.js';
import { lipschitzStage } from '../src/pipeline/lipschitz-stage.js';
import { runKeyOf } from '../src/pipeline/run-experiment.js';
import type { E2EPlan, E2EResult } from './e2e.js';

/** Box-covering ε the pipeline adds for the multi-step attacks (L∞ 1, L2 √d); see attacks/evaluate.ts. */
function boxEps(name: string, dims: number): number {
  return name === 'pgd-l2' ? Math.sqrt(dims) : 1;
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2] ?? '') as E2EPlan;
  const backend = await initBackend((process.argv[3] ?? 'auto') as BackendChoice);
  const cfg = parseExperiment('e2e', {
    name: 'e2e',
    datasets: ['mnist'],
    data: { trainSize: plan.trainSize, testSize: plan.testSize, trainEvalSize: plan.trainEvalSize },
    models: [{ kind: 'mlp', hidden: plan.hidden }],
    methods: plan.methods,
    seeds: [plan.seed],
    train: { epochs: plan.epochs, batchSize: plan.batchSize, optimizer: { name: 'adam', learningRate: plan.learningRate } },
    attacks: plan.attacks,
    attackSize: plan.attackSize,
    attackBatchSize: plan.attackBatchSize,
    lipschitz: { gradPoints: plan.gradPoints, certificates: [] },
  });
  const cache = new DatasetCache();
  const seconds = { train: 0, evaluate: 0, attacks: 0, bounds: 0, total: 0 };
  const work = { trainSteps: 0, attackPoints: 0, attackGradSteps: 0, boundGradPoints: 0, boundPairs: 0 };
  const testAcc: number[] = [];
  const quiet = (): void => {};
  const t0 = performance.now();
  const lap = (): number => performance.now();
  for (const run of expandRuns('e2e', cfg)) {
    const data = await cache.get(run.dataset, run.data);
    const regs = run.regularizers.map((s, i) => createRegularizer(s, run.seed * 31 + i));
    let t = lap();
    const model = buildModel(run.model, data.imageShape, data.numClasses, run.seed, { layers: layerFactoryFor(regs) });
    const trained = await trainModel(model, data.train, regs, run.train, { seed: run.seed, progress: false, log: quiet });
    for (const r of regs) r.dispose?.();
    work.trainSteps += trained.steps;
    seconds.train += (lap() - t) / 1000;

    t = lap();
    const trainEval = headOf(data.train, cfg.data.trainEvalSize);
    await evaluate(model, trainEval);
    tf.dispose([trainEval.x, trainEval.y]);
    testAcc.push((await evaluate(model, data.test)).accuracy);
    seconds.evaluate += (lap() - t) / 1000;

    const key = runKeyOf(run);
    const split = headOf(data.test, cfg.attackSize);
    t = lap();
    const attacked = await attackStage({ model, split, specs: cfg.attacks, key, seed: run.seed, log: quiet, batchSize: cfg.attackBatchSize });
    seconds.attacks += (lap() - t) / 1000;
    const dims = split.x.shape[1] * split.x.shape[2] * split.x.shape[3];
    for (const row of attacked.rows) {
      if (row.eps <= 0) continue;
      const spec = plan.attacks.find((a) => a.name === row.attack)!;
      const steps = spec.name === 'fgsm' ? 1 : spec.steps;
      work.attackPoints += row.n;
      work.attackGradSteps += row.n * steps;
    }
    // The box-covering ε run of each multi-step attack (no row of its own).
    for (const spec of plan.attacks) {
      if (spec.name === 'fgsm' || spec.eps.includes(boxEps(spec.name, dims))) continue;
      work.attackPoints += split.x.shape[0];
      work.attackGradSteps += split.x.shape[0] * spec.steps;
    }

    t = lap();
    const lip = await lipschitzStage({ model, split, key, options: cfg.lipschitz, pairs: attacked.pairs, seed: run.seed, log: quiet });
    lip.withCertified(attacked.rows);
    seconds.bounds += (lap() - t) / 1000;
    const gradN = Math.min(cfg.lipschitz.gradPoints, split.x.shape[0]);
    work.boundGradPoints += 3 * gradN; // data points, interpolations, noise (lipschitz-stage.ts)
    work.boundPairs += attacked.pairs.reduce((s, p) => s + p.x.shape[0], 0);
    attacked.dispose();
    tf.dispose([split.x, split.y]);
    model.dispose();
  }
  cache.dispose();
  seconds.total = (performance.now() - t0) / 1000;
  const result: E2EResult = { side: backend.name, threads: backend.threads, seconds, work, testAcc };
  process.stdout.write(`E2E ${JSON.stringify(result)}\n`);
}

await main();
