#!/usr/bin/env node
/**
 * The lipbench command line: the only module that reads argv and the environment.
 *   lipbench run <experiment>      train, attack, measure, write CSVs, render charts
 *   lipbench charts <results-dir>  regenerate charts and report.html from the CSVs
 *   lipbench attack <model.json>   attack a saved model without retraining
 *   lipbench certify <model.json>  bounds and certified accuracy of a saved model
 *   lipbench list                  list the experiments in experiments/
 *   lipbench wgan <experiment>     WGAN critics compared on MNIST (issue 6)
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import path from 'node:path';
import { ZodError } from 'zod';
import { BackendChoice, initBackend, type BackendInfo } from './backend.js';
import { formatZodError, UserError } from './config/errors.js';
import { listExperiments, loadExperiment } from './config/load.js';
import { parseShard, shardFromEnv } from './config/shard.js';
import { IdxFormatError } from './data/idx.js';

function fail(err: unknown): never {
  if (err instanceof UserError || err instanceof IdxFormatError) {
    console.error(`lipbench: ${err.message}`);
    process.exit(2);
  }
  if (err instanceof ZodError) {
    console.error(`lipbench: ${formatZodError('input', err)}`);
    process.exit(2);
  }
  const e = err as Error;
  console.error(`lipbench: ${e?.message ?? String(err)}`);
  if (process.env['LIPBENCH_DEBUG']) console.error(e?.stack);
  else console.error('(set LIPBENCH_DEBUG=1 for the stack trace)');
  process.exit(1);
}

function parseBackend(v: string): BackendChoice {
  const r = BackendChoice.safeParse(v);
  if (!r.success) throw new InvalidArgumentError(`expected one of ${BackendChoice.options.join(', ')}`);
  return r.data;
}

function parseNumberList(v: string): number[] {
  const nums = v.split(',').map((s) => Number(s.trim()));
  if (nums.some((n) => !Number.isFinite(n) || n < 0)) throw new InvalidArgumentError(`expected comma-separated numbers ≥ 0, got "${v}"`);
  return nums;
}

function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${v}"`);
  return n;
}

async function startBackend(choice: BackendChoice, quiet: boolean): Promise<BackendInfo> {
  let info: BackendInfo;
  try {
    info = await initBackend(choice);
  } catch (e) {
    throw new UserError(`backend ${choice}: ${(e as Error).message}`);
  }
  if (!quiet) {
    console.log(`backend: ${info.name}`);
    for (const n of info.notes) console.log(`  (${n})`);
  }
  return info;
}

// Ctrl-C / kill: exit through process.exit so the results lock is released; every
// finished run is already on disk, so a rerun resumes where this one stopped.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    console.error(`\nlipbench: interrupted (${sig}); finished runs are saved, rerun the same command to resume`);
    process.exit(130);
  });
}

const program = new Command()
  .name('lipbench')
  .description('Lipschitz regularization, adversarial attacks and bounds on TensorFlow.js')
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

const backendOption = new Option('-b, --backend <name>', 'auto | tfjs-node | wasm+native | wasm | cpu').default('auto').argParser(parseBackend);

program
  .command('run')
  .description('run an experiment (name in experiments/, or a .ts/.json path); skips runs already done')
  .argument('<experiment>')
  .addOption(backendOption)
  .option('-o, --results <dir>', 'parent folder of the results', 'results')
  .option('--no-progress', 'plain per-epoch lines even on a terminal')
  .option('--no-charts', 'do not render charts after the runs')
  .option('--shard <k/n>', 'run only shard k of n (default: from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)')
  .option('--retry-failed', 'rerun runs that failed before')
  .option('--quick', "apply the experiment's `quick` overrides (tiny subsets; results under <name>-quick)")
  .action(async (ref: string, o: { backend: BackendChoice; results: string; progress: boolean; charts: boolean; shard?: string; retryFailed?: boolean; quick?: boolean }) => {
    const loaded = await loadExperiment(ref, { quick: Boolean(o.quick) }); // validates before anything is written
    const shard = o.shard !== undefined ? parseShard(o.shard) : shardFromEnv(process.env);
    const backend = await startBackend(o.backend, false);
    const { runExperiment } = await import('./pipeline/run-experiment.js');
    const s = await runExperiment(loaded, {
      resultsRoot: o.results,
      backend,
      progress: o.progress && Boolean(process.stdout.isTTY),
      ...(shard ? { shard } : {}),
      retryFailed: Boolean(o.retryFailed),
    });
    const where = shard ? ` (shard ${shard.index}/${shard.count})` : '';
    console.log(
      `${loaded.config.name}${where}: ${s.total} runs (${s.trained} trained, ${s.reevaluated} re-evaluated, ${s.skipped} already done, ${s.failed} failed) in ${s.seconds.toFixed(1)} s → ${s.csvDir}`,
    );
    if (s.failed > 0) {
      console.error(`lipbench: ${s.failed} run(s) failed; see ${path.join(s.csvDir, 'failures.csv')} (rerun with --retry-failed)`);
      process.exitCode = 3;
    }
    if (shard) {
      console.log(`when every shard is done: lipbench merge ${s.dir}`);
      return;
    }
    if (loaded.config.claims) await printClaims(s.dir);
    if (o.charts) {
      const { renderResults } = await import('./pipeline/render-results.js');
      const written = await renderResults(s.dir);
      console.log(`charts: ${written.length} written, report: ${path.join(s.dir, 'report.html')}`);
    }
  });

program
  .command('charts')
  .alias('report')
  .description('regenerate every chart and report.html from a results folder, without retraining')
  .argument('<results-dir>')
  .action(async (dir: string) => {
    const { renderResults } = await import('./pipeline/render-results.js');
    const written = await renderResults(dir);
    console.log(`charts: ${written.length} written, report: ${path.join(dir, 'report.html')}`);
  });

program
  .command('attack')
  .description('attack a saved tfjs LayersModel (model.json, inputs in [0,1]) on a test set')
  .argument('<model-json>')
  .requiredOption('-a, --attack <name>', 'attack name (fgsm, fgm-l2, pgd-linf, pgd-l2)')
  .requiredOption('-e, --eps <list>', 'comma-separated ε values', parseNumberList)
  .option('-d, --dataset <name>', 'test set to attack', 'mnist')
  .option('-n, --n <count>', 'number of test points', parsePositiveInt, 1000)
  .option('--steps <count>', 'PGD steps', parsePositiveInt)
  .option('--step-size <size>', 'absolute PGD step size', Number)
  .option('--restarts <count>', 'PGD restarts', parsePositiveInt)
  .option('--seed <seed>', 'random seed', Number, 0)
  .option('--out <csv>', 'also write the rows to this CSV')
  .addOption(backendOption)
  .action(async (modelJson: string, o: { attack: string; eps: number[]; dataset: string; n: number; steps?: number; stepSize?: number; restarts?: number; seed: number; out?: string; backend: BackendChoice }) => {
    const { attackSavedModel } = await import('./pipeline/attack-saved.js');
    await startBackend(o.backend, false);
    await attackSavedModel({ ...o, modelJson });
  });

program
  .command('certify')
  .description('Lipschitz bounds and certified accuracy (global, pairwise, IBP, CROWN) of a saved chain LayersModel on a test set')
  .argument('<model-json>')
  .requiredOption('-e, --eps <list>', 'comma-separated ε values (> 0)', parseNumberList)
  .option('--norm <norm>', 'l2 | linf', 'l2')
  .option('-c, --certificates <list>', 'comma-separated: global, pairwise (ℓ2 only), ibp, crown (default: all that apply)', (v: string) => v.split(',').map((s) => s.trim()))
  .option('-d, --dataset <name>', 'test set', 'mnist')
  .option('-n, --n <count>', 'number of test points', parsePositiveInt, 1000)
  .option('--seed <seed>', 'random seed', Number, 0)
  .addOption(backendOption)
  .action(async (modelJson: string, o: { eps: number[]; norm: string; certificates?: string[]; dataset: string; n: number; seed: number; backend: BackendChoice }) => {
    const { certifySavedModel, validateCertifyOptions } = await import('./pipeline/certify-saved.js');
    validateCertifyOptions({ ...o, modelJson }); // bad input fails before the backend loads
    await startBackend(o.backend, false);
    await certifySavedModel({ ...o, modelJson });
  });

async function printClaims(dir: string): Promise<void> {
  const { writeClaims } = await import('./pipeline/claims-stage.js');
  const claims = writeClaims(dir);
  console.log(`claims → ${path.join(dir, 'claims.csv')}`);
  for (const c of claims) console.log(`  ${c.claim}. ${c.verdict.toUpperCase()}: ${c.title}\n     ${c.measured}`);
}

program
  .command('claims')
  .description("recompute the seed claims' verdicts (claims.csv) from a results folder and re-render the report")
  .argument('<results-dir>')
  .action(async (dir: string) => {
    await printClaims(dir);
    const { renderResults } = await import('./pipeline/render-results.js');
    await renderResults(dir);
  });

program
  .command('merge')
  .description('combine shard results (results/<exp>/shards/*) into the experiment CSVs; refuses duplicate runs')
  .argument('<results-dir>')
  .option('--no-charts', 'do not render charts after merging')
  .action(async (dir: string, o: { charts: boolean }) => {
    const { mergeShards } = await import('./pipeline/merge.js');
    const m = mergeShards(dir);
    console.log(`merged ${m.shards} shard(s): ${m.runs} runs, ${m.failures} failed → ${dir}`);
    if (m.runs > 0 && m.claims) await printClaims(dir);
    if (o.charts && m.runs > 0) {
      const { renderResults } = await import('./pipeline/render-results.js');
      await renderResults(dir);
    }
  });

program
  .command('status')
  .description('list the done, failed and missing runs of a results folder')
  .argument('<results-dir>')
  .action(async (dir: string) => {
    const { experimentStatus } = await import('./pipeline/merge.js');
    const st = experimentStatus(dir);
    for (const r of st) console.log(`${String(r.index + 1).padStart(4)}  ${r.runId}  ${r.state.padEnd(7)}  ${r.detail}`);
    const count = (s: string) => st.filter((r) => r.state === s).length;
    console.log(`${count('done')} done, ${count('failed')} failed, ${count('trained')} trained but not evaluated, ${count('missing')} missing, of ${st.length}`);
  });

program
  .command('wgan')
  .description('train WGANs on MNIST with gp, gp-one-sided, sn and clip critics; skips runs already done (issue 6)')
  .argument('<experiment>')
  .addOption(backendOption)
  .option('-o, --results <dir>', 'parent folder of the results', 'results')
  .option('--retry-failed', 'rerun runs that failed before')
  .option('--report-only', 'only rebuild wgan-verdicts.csv, charts and report.html from wgan.csv')
  .action(async (ref: string, o: { backend: BackendChoice; results: string; retryFailed?: boolean; reportOnly?: boolean }) => {
    const { loadWganExperiment } = await import('./wgan/load.js');
    const loaded = await loadWganExperiment(ref); // validates before anything is written
    if (o.reportOnly) {
      const { renderWganResults } = await import('./wgan/report.js');
      const r = await renderWganResults(path.join(o.results, loaded.config.name));
      console.log(`report: ${r.report}`);
      return;
    }
    await startBackend(o.backend, false);
    const { runWganExperiment } = await import('./wgan/run.js');
    const s = await runWganExperiment(loaded, { resultsRoot: o.results, backend: (await import('./backend.js')).currentBackend(), retryFailed: Boolean(o.retryFailed) });
    console.log(`${loaded.config.name}: ${s.total} runs (${s.trained} trained, ${s.skipped} already done, ${s.failed} failed) in ${s.seconds.toFixed(1)} s → ${s.dir}${s.report ? `, report: ${s.report}` : ''}`);
    if (s.failed > 0) process.exitCode = 3;
  });

program
  .command('list')
  .description('list the experiments in experiments/')
  .action(() => {
    for (const name of listExperiments()) console.log(name);
  });

program.parseAsync(process.argv).catch(fail);
