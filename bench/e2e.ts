/**
 * `npm run bench -- --e2e` (or `tsx bench/e2e.ts [--plan plan.json] [--backend b] [--no-peer]`)
 *
 * The default experiment's work, end to end, in lipbench and in a PyTorch script written
 * the way a competent PyTorch user would (bench/peer_e2e.py), stage by stage:
 *
 *   train     every run of the plan: MLP, Adam, batch size, epochs, penalty (none, l2,
 *             spectral with one power step per kernel per step)
 *   evaluate  clean accuracy/loss on the train-evaluation subset and the test set
 *   attacks   FGSM, PGD-L∞ and PGD-L2 at every ε on the attacked points (as the pipeline
 *             runs them: clean prediction and zero-gradient check first, and the
 *             multi-step attacks again at a box-covering ε)
 *   bounds    layer spectral norms, gradient-norm lower bounds at the test points, their
 *             interpolations and uniform noise, attack-pair ratios, certified radii
 *
 * The lipbench side calls the pipeline's own stage functions (trainModel, evaluate,
 * attackStage, lipschitzStage) on one process, so its times are the pipeline's. Not
 * compared: the AutoAttack ensembles of mnist-quick (APGD-CE/T and Square have no peer
 * here) and the pairwise certificate (certificates: []), so the default plan leaves them
 * out. Both sides print the work they did (optimizer steps, attacked points, gradient
 * steps, bound points) and the test in test/bench-e2e.test.ts checks that they agree.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { peerEnv } from './peer-env.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

/** What both sides run; the default is mnist-quick without the AutoAttack ensembles. */
export const E2EPlan = z.strictObject({
  trainSize: z.int().positive().optional(),
  testSize: z.int().positive().optional(),
  trainEvalSize: z.int().positive(),
  hidden: z.array(z.int().positive()).min(1),
  methods: z.array(z.strictObject({ name: z.enum(['none', 'l2', 'spectral']), lambda: z.number().nonnegative().optional() })).min(1),
  epochs: z.int().positive(),
  batchSize: z.int().positive(),
  learningRate: z.number().positive(),
  attacks: z.array(z.discriminatedUnion('name', [
    z.strictObject({ name: z.literal('fgsm'), eps: z.array(z.number().nonnegative()).min(1) }),
    z.strictObject({ name: z.literal('pgd-linf'), eps: z.array(z.number().nonnegative()).min(1), steps: z.int().positive(), stepSize: z.number().positive() }),
    z.strictObject({ name: z.literal('pgd-l2'), eps: z.array(z.number().nonnegative()).min(1), steps: z.int().positive(), relStepSize: z.number().positive() }),
  ])),
  attackSize: z.int().positive(),
  attackBatchSize: z.int().positive(),
  gradPoints: z.int().positive(),
  seed: z.int(),
});
export type E2EPlan = z.infer<typeof E2EPlan>;

export const DEFAULT_PLAN: E2EPlan = {
  trainEvalSize: 10000,
  hidden: [256, 256],
  methods: [{ name: 'none' }, { name: 'l2', lambda: 5e-4 }, { name: 'spectral', lambda: 0.02 }],
  epochs: 5,
  batchSize: 128,
  learningRate: 1e-3,
  attacks: [
    { name: 'fgsm', eps: [0, 0.05, 0.1, 0.2, 0.3] },
    { name: 'pgd-linf', eps: [0, 0.05, 0.1, 0.2, 0.3], steps: 40, stepSize: 0.01 },
    { name: 'pgd-l2', eps: [0, 0.5, 1, 1.5, 2, 3], steps: 40, relStepSize: 0.1 },
  ],
  attackSize: 1000,
  attackBatchSize: 1000,
  gradPoints: 1000,
  seed: 0,
};

/** Work done, as each side counts it from what it ran. */
export interface E2EWork {
  /** Optimizer steps over all runs. */
  readonly trainSteps: number;
  /** Points attacked at ε > 0 (box-covering ε included), over attacks and runs. */
  readonly attackPoints: number;
  /** Per-point gradient steps of the attacks at ε > 0 (FGSM 1, PGD its steps). */
  readonly attackGradSteps: number;
  /** Points whose input gradient norm the bounds evaluated (data, interpolations, noise). */
  readonly boundGradPoints: number;
  /** Clean/adversarial pairs whose ratio the bounds evaluated. */
  readonly boundPairs: number;
}

export interface E2EResult {
  readonly side: string;
  /** The peer only: the directory of the BLAS library torch loaded. */
  readonly blas?: string;
  readonly threads: number | null;
  /** Wall seconds per stage, summed over runs. */
  readonly seconds: { readonly train: number; readonly evaluate: number; readonly attacks: number; readonly bounds: number; readonly total: number };
  readonly work: E2EWork;
  /** Test accuracy per run, a sanity check that both trained something comparable. */
  readonly testAcc: number[];
}

/** Reads the last `E2E <json>` line of a side's output. */
export function parseE2E(stdout: string, who: string): E2EResult {
  const line = stdout.split('\n').filter((l) => l.startsWith('E2E ')).pop();
  if (!line) throw new Error(`${who} printed no E2E result`);
  return JSON.parse(line.slice(4)) as E2EResult;
}

export function runSide(cmd: string, args: string[], env: NodeJS.ProcessEnv, who: string): Promise<E2EResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${who} exited with ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      else {
        try {
          resolve(parseE2E(out, who));
        } catch (e) {
          reject(e);
        }
      }
    });
  });
}

function table(ours: E2EResult, peer: E2EResult | undefined): string {
  const stages = ['train', 'evaluate', 'attacks', 'bounds', 'total'] as const;
  const rows = [['stage', `lipbench s (${ours.side}, ${ours.threads ?? '?'}t)`, ...(peer ? [`PyTorch s (${peer.threads}t)`, 'lipbench ÷ PyTorch'] : [])]];
  for (const s of stages) {
    const a = ours.seconds[s];
    const b = peer?.seconds[s];
    rows.push([s, a.toFixed(1), ...(peer && b !== undefined ? [b.toFixed(1), (a / b).toFixed(2)] : [])]);
  }
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ')).join('\n');
}

export async function main(argv: string[]): Promise<void> {
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const planFile = opt('--plan');
  const plan = E2EPlan.parse(planFile ? JSON.parse(readFileSync(planFile, 'utf8')) : DEFAULT_PLAN);
  const backend = opt('--backend') ?? 'auto';
  const json = JSON.stringify(plan);
  console.error('[lipbench]');
  const ours = await runSide(process.execPath, ['--import', 'tsx', path.join(here, 'e2e-lipbench.ts'), json, backend], process.env, 'lipbench');
  // Shown before the peer starts, so a slow or interrupted peer does not hide it.
  console.error(`  lipbench: ${Object.entries(ours.seconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}`);
  let peer: E2EResult | undefined;
  if (!argv.includes('--no-peer')) {
    const threads = Number(opt('--peer-threads') ?? ours.threads ?? 0) || undefined;
    console.error(`[torch] ${threads ?? "torch's default"} intra-op threads${threads === ours.threads ? " (= lipbench's)" : ''}`);
    // OpenBLAS's own pthreads on top of torch's OpenMP pool oversubscribe the cores: on the
    // 2-core Zen 4 VM the peer took 102 s with both and 36.4 s with OPENBLAS_NUM_THREADS=1
    // (its GEMMs are small here; torch's pool parallelizes the rest). A competent user
    // would find that, so the peer gets it unless the caller sets its own value.
    const env = peerEnv(threads, { ...process.env, OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '1' });
    console.error(`[torch] OPENBLAS_NUM_THREADS=${env.OPENBLAS_NUM_THREADS}`);
    peer = await runSide(PYTHON, [path.join(here, 'peer_e2e.py'), json], env, 'torch peer');
  }
  console.log(table(ours, peer));
  if (peer?.blas) console.log(`PyTorch BLAS: ${peer.blas}${/\/blas$/.test(peer.blas) ? ' (the reference BLAS: install libopenblas0-pthread for a competent peer)' : ''}`);
  const w = (r: E2EResult): string => Object.entries(r.work).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`work, lipbench: ${w(ours)}`);
  if (peer) console.log(`work, PyTorch:  ${w(peer)}`);
  console.log(`test accuracy, lipbench: ${ours.testAcc.map((a) => a.toFixed(4)).join(' ')}${peer ? `; PyTorch: ${peer.testAcc.map((a) => a.toFixed(4)).join(' ')}` : ''}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
