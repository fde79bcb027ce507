#!/usr/bin/env node
/**
 * The lipbench command line: the only module that reads argv and the environment.
 *   lipbench run <experiment>      train, attack, measure, write CSVs, render charts
 *   lipbench charts <results-dir>  regenerate charts and report.html from the CSVs
 *   lipbench attack <model.json>   attack a saved model without retraining
 *   lipbench certify <model.json>  bounds and certified accuracy of a saved model
 *   lipbench explore <results-dir> explorer.html: attack the saved models live in a browser
 *   lipbench list                  list the experiments in experiments/
 *   lipbench wgan <experiment>     WGAN critics compared on MNIST
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import path from 'node:path';
import { ZodError } from 'zod';
import { attackNames, NORM_FAMILIES } from './attacks/index.js';
import { BackendChoice, backendLine, initBackend, type BackendInfo } from './node/backend.js';
import { EnvironmentError, formatZodError, isEnvironmentFault, UserError } from './util/errors.js';
import { listExperiments, loadExperiment, readRaw, resolveSource } from './config/load.js';
import { parseShard, shardFromEnv } from './config/shard.js';
import { IdxFormatError } from './data/idx.js';
import { Cancelled } from './util/cancel.js';
import { installTerminalProgress } from './pipeline/terminal-progress.js';
import { lipbenchVersion } from './node/version.js';

function fail(err: unknown): never {
  // Stopped by a signal: the handler below already said so.
  if (err instanceof Cancelled) process.exit(signalExitCode(err.reason));
  if (err instanceof UserError || err instanceof IdxFormatError) {
    console.error(`lipbench: ${err.message}`);
    process.exit(2);
  }
  if (err instanceof ZodError) {
    console.error(`lipbench: ${formatZodError('input', err)}`);
    process.exit(2);
  }
  // A full disk, a read-only mount, missing permission: one line naming the path, exit 1.
  if (err instanceof EnvironmentError || isEnvironmentFault(err)) {
    const e = err instanceof EnvironmentError ? err : EnvironmentError.from(err, String((err as { path?: unknown }).path ?? '?'));
    console.error(`lipbench: ${e.message}`);
    process.exit(1);
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
  if (!quiet) console.log(backendLine(info));
  return info;
}

// Ctrl-C / kill: the first signal aborts `cancel`; the run loop stops at its next
// checkpoint (after the current step, attack batch or Lipschitz stage), abandons the
// run in progress unrecorded and releases the lock on the way out. Every finished run
// is already on disk, so a rerun resumes. A second signal exits at once, and so does
// a command that does not come back within 1.5 s (one waiting on I/O, or without
// checkpoints); process.exit still runs the lock's exit hook.
const cancel = new AbortController();
// Supervised by bin/lipbench.js: its IPC channel must not keep this process alive, and
// if the supervisor dies, stop as if interrupted.
process.channel?.unref();
process.on('disconnect', () => {
  if (!cancel.signal.aborted) cancel.abort('SIGTERM');
  setTimeout(() => process.exit(143), 1500).unref();
});
function signalExitCode(reason: unknown): number {
  return reason === 'SIGTERM' ? 143 : 130;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (cancel.signal.aborted) process.exit(signalExitCode(sig));
    console.error(`\nlipbench: interrupted (${sig}); finished runs are saved, rerun the same command to resume`);
    cancel.abort(sig);
    setTimeout(() => process.exit(signalExitCode(sig)), 1500).unref();
  });
}

const program = new Command()
  .name('lipbench')
  .description('Lipschitz regularization, adversarial attacks and bounds on TensorFlow.js')
  .version(lipbenchVersion() ?? 'unknown', '-V, --version')
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
      signal: cancel.signal,
    });
    const where = shard ? ` (shard ${shard.index}/${shard.count})` : '';
    console.log(
      `${loaded.config.name}${where}: ${s.total} run${s.total === 1 ? '' : 's'} (${s.trained} trained, ${s.reevaluated} re-evaluated, ${s.skipped} already done, ${s.failed} failed) in ${s.seconds.toFixed(1)} s → ${s.csvDir}`,
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
      // The explorer first, so the report can link to it.
      await writeExplorerPage(s.dir);
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
    await writeExplorerPage(dir);
    const { renderResults } = await import('./pipeline/render-results.js');
    const written = await renderResults(dir);
    console.log(`charts: ${written.length} written, report: ${path.join(dir, 'report.html')}`);
  });

/**
 * explorer.html beside the report; prints where it is. After `run` and `charts` a
 * failure here is reported (exit code 1) without stopping the charts and report.
 */
async function writeExplorerPage(dir: string, optional = true): Promise<void> {
  const { writeExplorer } = await import('./explorer-build/write.js');
  try {
    const w = await writeExplorer(dir);
    console.log(`explorer: ${w.models} model(s), ${w.seconds.toFixed(1)} s${w.bundleCached ? '' : ' (page bundle built)'} → ${w.file}`);
  } catch (e) {
    if (!optional || e instanceof UserError) throw e;
    console.error(`lipbench: explorer.html not written: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}

program
  .command('explore')
  .description('write explorer.html into a results folder: attack its saved models live in the browser (works offline, from file://)')
  .argument('<results-dir>')
  .action(async (dir: string) => {
    await writeExplorerPage(dir, false);
  });

program
  .command('attack')
  .description('attack a saved tfjs LayersModel (model.json, inputs in [0,1]) on a test set')
  .argument('<model-json>')
  .requiredOption('-a, --attack <names>', `attack name or comma-separated list: ${attackNames().join(', ')}; or ${NORM_FAMILIES.join(', ')} with --norm`)
  .requiredOption('-e, --eps <list>', 'comma-separated ε values', parseNumberList)
  .option('--norm <linf|l2>', `norm for ${NORM_FAMILIES.join(', ')} (default linf)`)
  .option('-d, --dataset <name>', 'test set to attack', 'mnist')
  .option('-n, --n <count>', 'number of test points', parsePositiveInt, 1000)
  // PGD's defaults are its options schema's (src/attacks/pgd-core.ts); a test checks they agree.
  .option('--steps <count>', 'PGD steps (default: 40); APGD and autoattack iterations (default: 100)', parsePositiveInt)
  .option('--step-size <size>', 'absolute PGD step size (default: 2.5·ε/steps, Madry et al.)', Number)
  .option('--restarts <count>', 'PGD and APGD restarts, worst case per point (default: 1)', parsePositiveInt)
  .option('--queries <count>', 'Square and autoattack query budget (default: 5000)', parsePositiveInt)
  .option('--target-classes <k>', 'APGD-T and autoattack target classes (default: min(9, classes − 1))', parsePositiveInt)
  .option('--ensemble <standard|fast>', 'autoattack version (default: standard = APGD-CE, APGD-T, Square; fast: no Square)')
  .option('--seed <seed>', 'random seed', Number, 0)
  .option('--out <csv>', 'also write the rows to this CSV')
  .addOption(backendOption)
  .action(async (modelJson: string, o: { attack: string; norm?: string; eps: number[]; dataset: string; n: number; steps?: number; stepSize?: number; restarts?: number; queries?: number; targetClasses?: number; ensemble?: string; seed: number; out?: string; backend: BackendChoice }) => {
    const { attackSavedModel } = await import('./pipeline/attack-saved.js');
    const { DATASET_SIZES } = await import('./data/index.js');
    const avail = (DATASET_SIZES as Record<string, { test: number } | undefined>)[o.dataset]?.test;
    if (avail !== undefined && o.n > avail) throw new UserError(`-n: ${o.n} is more than the ${avail} test examples of ${o.dataset}`);
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

async function printClaims(dir: string, wganDir?: string): Promise<void> {
  const { writeClaims } = await import('./pipeline/claims-stage.js');
  const claims = writeClaims(dir, { wganDir });
  console.log(`claims → ${path.join(dir, 'claims.csv')}`);
  for (const c of claims) console.log(`  ${c.claim}. ${c.verdict.toUpperCase()}: ${c.title}\n     ${c.measured}`);
}

program
  .command('claims')
  .description("recompute the seed claims' verdicts (claims.csv) from a results folder and re-render the report")
  .argument('<results-dir>')
  .option('--wgan <dir>', "the WGAN experiment's results folder, source of claim 7 (default: the sibling folder mnist-wgan)")
  .action(async (dir: string, o: { wgan?: string }) => {
    await printClaims(dir, o.wgan);
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
    const { experimentStatus } = await import('./pipeline/status.js');
    const st = experimentStatus(dir);
    const width = Math.max(6, ...st.map((r) => r.method.length));
    console.log(`${'#'.padStart(4)}  ${'runId'.padEnd(12)}  ${'method'.padEnd(width)}  ${'λ'.padEnd(8)}  ${'seed'.padEnd(4)}  ${'state'.padEnd(7)}  detail`);
    for (const r of st) console.log(`${String(r.index + 1).padStart(4)}  ${r.runId.padEnd(12)}  ${r.method.padEnd(width)}  ${String(r.lambda).padEnd(8)}  ${String(r.seed).padEnd(4)}  ${r.state.padEnd(7)}  ${r.detail}`);
    const count = (s: string) => st.filter((r) => r.state === s).length;
    console.log(`${count('done')} done, ${count('failed')} failed, ${count('trained')} trained but not evaluated, ${count('missing')} missing, of ${st.length}`);
  });

program
  .command('wgan')
  .description('train WGANs on MNIST with gp, gp-one-sided, sn and clip critics; skips runs already done')
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
    const s = await runWganExperiment(loaded, { resultsRoot: o.results, backend: (await import('./node/backend.js')).currentBackend(), retryFailed: Boolean(o.retryFailed) });
    console.log(`${loaded.config.name}: ${s.total} run${s.total === 1 ? '' : 's'} (${s.trained} trained, ${s.skipped} already done, ${s.failed} failed) in ${s.seconds.toFixed(1)} s → ${s.dir}${s.report ? `, report: ${s.report}` : ''}`);
    if (s.failed > 0) process.exitCode = 3;
  });

program
  .command('list')
  .description('list the experiments in experiments/ with their descriptions')
  .action(async () => {
    const names = listExperiments();
    const width = Math.max(0, ...names.map((n) => n.length));
    for (const name of names) console.log(`${name.padEnd(width)}  ${await experimentDescription(name)}`);
  });

/** An experiment's one-line description (its `description`, else the first line of its doc comment). */
async function experimentDescription(name: string): Promise<string> {
  try {
    const raw = await readRaw(resolveSource(name));
    if (typeof raw === 'object' && raw !== null && 'description' in raw && typeof raw.description === 'string' && raw.description !== '') return raw.description;
    return '';
  } catch (e) {
    return `(cannot load: ${(e as Error).message.split('\n')[0]})`;
  }
}

installTerminalProgress();
program.parseAsync(process.argv).catch(fail);
