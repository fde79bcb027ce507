/**
 * `npm run bench [-- --quick] [--workloads W1,W2] [--backends wasm,wasm+lipbench,wasm+native,cpu,torch]`
 * `npm run bench -- --e2e [--plan plan.json] [--backend b] [--peer-threads n] [--no-peer]`: see bench/e2e.ts
 *
 * Median wall time of workloads W1-W5 per backend configuration, each configuration in its
 * own child process (kernel registration is global), plus the PyTorch peer
 * (bench/peer_torch.py) when /usr/bin/python3 can import torch. The peer is a yardstick
 * only. Prints a table and writes results/bench/bench.csv atomically.
 *
 * `--rounds N` repeats the whole sequence (every backend, then the peer) N times and
 * reports, per workload and backend, the median of the per-round medians plus their
 * range. On a shared 2-core VM one run's median can swing 2× with a neighbour's load;
 * interleaving the backends puts lipbench and the peer under the same noise, so the
 * ratio is steadier than the raw times.
 *
 * Like with like by default: the peer gets as many intra-op threads as the native addon's
 * pool (the CPUs this process may use; `LIPBENCH_NATIVE_THREADS` or `--peer-threads`
 * change them), and with `LIPBENCH_NATIVE_ISA=avx2` on an AVX-512 machine the peer's
 * OpenBLAS, oneDNN and ATen kernels are capped at AVX2 as well.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult, ChildRequest } from './child.js';
import { CONFIGS, median, type Config } from './common.js';
import type { WorkloadParams } from './workloads.js';
import { loadNative } from '../src/node/native-addon.js';
import { peerEnv } from './peer-env.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const PYTHON = '/usr/bin/python3';
const ALL = ['W1', 'W2', 'W3', 'W4', 'W5', 'W5tA', 'W5tB'];
/** The cpu backend is far too slow for the conv workloads. */
const CPU_WORKLOADS = new Set(['W1', 'W5']);

interface Options {
  quick: boolean;
  workloads: string[];
  backends: string[];
  out: string;
  peerThreads?: number;
  rounds: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    quick: false, workloads: ALL, backends: ['wasm', 'wasm+lipbench', 'cpu', 'torch'],
    out: path.join(root, 'results', 'bench', 'bench.csv'), rounds: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--workloads') o.workloads = next().split(',');
    else if (a === '--backends') o.backends = next().split(',');
    else if (a === '--out') o.out = path.resolve(next());
    else if (a === '--peer-threads') o.peerThreads = Number(next());
    else if (a === '--rounds') {
      o.rounds = Number(next());
      if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new Error(`--rounds must be a positive integer, got ${argv[i]}`);
    }
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run bench -- [--quick] [--workloads W1,W2,...] [--backends wasm,wasm+lipbench,wasm+native,cpu,torch] [--out file.csv] [--peer-threads n] [--rounds n]');
      process.exit(0);
    } else throw new Error(`unknown flag ${a}`);
  }
  return o;
}

function plan(quick: boolean): { params: WorkloadParams; reps: Record<string, number>; warmup: Record<string, number> } {
  const params: WorkloadParams = quick
    ? { batch: 128, pgdInputs: 250, pgdSteps: 40, pgdChunk: 250, powerIters: 100, matmulSize: 1024 }
    : { batch: 128, pgdInputs: 1000, pgdSteps: 40, pgdChunk: 250, powerIters: 100, matmulSize: 1024 };
  const reps = quick
    ? { W1: 5, W2: 3, W3: 1, W4: 2, W5: 3, W5tA: 3, W5tB: 3 }
    : { W1: 50, W2: 10, W3: 3, W4: 5, W5: 10, W5tA: 10, W5tB: 10 };
  // W3 runs for seconds; a warm-up pass would only double the wall time. W1's steps are a
  // few milliseconds of mostly JavaScript, and V8 takes a while to optimize tfjs' engine:
  // on the 2-core Zen 4 VM the first 100 steps of a process averaged 4.4–4.7 ms and later
  // ones 3.5 ms (scratch runs of 800 steps), so after 2 warm-up steps the bench timed the
  // warm-up (7.0–7.1 ms in three full rounds). Both sides get 100 (~0.5 s).
  const warmup = { W1: 100, W2: 2, W3: 0, W4: 1, W5: 1, W5tA: 1, W5tB: 1 };
  return { params, reps, warmup };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<BenchResult[]> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const results: BenchResult[] = [];
    let buf = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('RESULT ')) {
          const r = JSON.parse(line.slice(7)) as BenchResult;
          results.push(r);
          const shown = r.error ? `error: ${r.error}` : `${r.medianMs.toFixed(2)} ms`;
          console.error(`  ${r.backend.padEnd(14)} ${r.workload.padEnd(5)} ${shown}`);
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('close', (code) => {
      if (code !== 0) console.error(`  ${path.basename(args[args.length - 1] ?? cmd)} exited with ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
      resolve(results);
    });
  });
}

async function checkTorch(env: NodeJS.ProcessEnv): Promise<boolean> {
  if (!existsSync(PYTHON)) return false;
  return new Promise((resolve) => {
    const p = spawn(PYTHON, ['-c', 'import torch'], { env, stdio: 'ignore' });
    p.on('close', (code) => resolve(code === 0));
    p.on('error', () => resolve(false));
  });
}

/** The addon's pool size, or undefined when it is not built (the peer then keeps torch's default). */
function nativeThreads(): { threads?: number; line: string } {
  const { addon, why } = loadNative();
  if (!addon) return { line: `native addon: ${why}` };
  const i = addon.info();
  return {
    threads: i.threads,
    line: `native addon: ${i.threads} threads (affinity ${i.affinityCpus || '?'} CPUs, cgroup quota ${i.quotaCpus || 'none'}), ${i.isa} kernels`,
  };
}

function csvEscape(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One workload on one backend over all rounds: the median of the round medians and their range. */
interface Aggregate extends BenchResult {
  readonly rounds: number;
  readonly minMs: number;
  readonly maxMs: number;
}

/** Rounds in first-seen order of (backend, workload); an error in any round is kept when no round succeeded. */
export function aggregateRounds(rounds: BenchResult[][]): Aggregate[] {
  const groups = new Map<string, BenchResult[]>();
  for (const round of rounds) {
    for (const r of round) {
      const key = `${r.backend}\u0000${r.workload}`;
      const group = groups.get(key);
      if (group) group.push(r);
      else groups.set(key, [r]);
    }
  }
  return [...groups.values()].map((rs) => {
    const ok = rs.filter((r) => Number.isFinite(r.medianMs) && !r.error);
    if (ok.length === 0) return { ...rs[0], rounds: rs.length, minMs: NaN, maxMs: NaN };
    const ms = ok.map((r) => r.medianMs);
    const med = median(ms);
    // GFLOP/s × ms is the workload's fixed FLOP count (in MFLOP); rescale it to the median time.
    const withFlops = ok.find((r) => r.gflops !== undefined);
    const gflops = withFlops?.gflops !== undefined ? (withFlops.gflops * withFlops.medianMs) / med : undefined;
    return { ...ok[0], medianMs: med, gflops, error: undefined, rounds: ok.length, minMs: Math.min(...ms), maxMs: Math.max(...ms) };
  });
}

function writeCsv(file: string, rows: Aggregate[], peer: Map<string, number>): void {
  const lines = ['workload,backend,medianMs,gflops,ratioToPeer,rounds,minMs,maxMs'];
  for (const r of rows) {
    const p = peer.get(r.workload);
    const ratio = p && Number.isFinite(r.medianMs) ? (r.medianMs / p).toFixed(3) : '';
    const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '');
    lines.push([r.workload, r.backend, ms(r.medianMs), r.gflops !== undefined ? r.gflops.toFixed(2) : '', ratio,
      String(r.rounds), ms(r.minMs), ms(r.maxMs)].map(csvEscape).join(','));
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, lines.join('\n') + '\n');
  renameSync(tmp, file);
}

function printTable(rows: Aggregate[], peer: Map<string, number>): void {
  const showRange = rows.some((r) => r.rounds > 1);
  const header = ['workload', 'backend', 'median ms', ...(showRange ? ['range ms'] : []), 'GFLOP/s', 'x peer', 'note'];
  const body = rows.map((r) => {
    const p = peer.get(r.workload);
    const range = Number.isFinite(r.minMs) ? `${r.minMs.toFixed(1)}-${r.maxMs.toFixed(1)}` : '';
    return [r.workload, r.backend, Number.isFinite(r.medianMs) ? r.medianMs.toFixed(2) : '-', ...(showRange ? [range] : []),
      r.gflops !== undefined ? r.gflops.toFixed(1) : '', p && Number.isFinite(r.medianMs) ? (r.medianMs / p).toFixed(2) : '',
      r.error ?? r.description];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(fmt(b));
}

async function runRound(opts: Options, params: WorkloadParams, reps: Record<string, number>, warmup: Record<string, number>, torchOk: boolean): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  for (const backend of opts.backends) {
    if (backend === 'torch') continue;
    const config = backend as Config;
    const workloads = opts.workloads.filter((w) => config !== 'cpu' || CPU_WORKLOADS.has(w));
    if (workloads.length === 0) continue;
    // Stock wasm's scalar Conv2DBackpropInput makes W3 take minutes per repetition.
    const cfgReps = config === 'wasm' ? { ...reps, W3: 1 } : reps;
    const req: ChildRequest = { config, workloads, params, reps: cfgReps, warmup };
    console.error(`[${config}]`);
    rows.push(...(await run(process.execPath, ['--import', 'tsx', path.join(here, 'child.ts'), JSON.stringify(req)], process.env)));
  }
  if (torchOk) {
    console.error('[torch]');
    const req = { workloads: opts.workloads, params, reps, warmup };
    rows.push(...(await run(PYTHON, [path.join(here, 'peer_torch.py'), JSON.stringify(req)], peerEnv(opts.peerThreads))));
  }
  return rows;
}

async function main(): Promise<void> {
  if (process.argv.includes('--e2e')) {
    const { main: e2e } = await import('./e2e.js');
    await e2e(process.argv.slice(2).filter((a) => a !== '--e2e'));
    return;
  }
  const opts = parseArgs(process.argv.slice(2));
  for (const b of opts.backends) {
    if (b !== 'torch' && !(CONFIGS as readonly string[]).includes(b)) throw new Error(`unknown backend ${b}`);
  }
  const { params, reps, warmup } = plan(opts.quick);
  const native = nativeThreads();
  opts.peerThreads ??= native.threads;
  console.error(native.line);
  if (opts.backends.includes('torch')) console.error(`torch peer: ${opts.peerThreads ?? "torch's default"} intra-op threads${opts.peerThreads === native.threads ? ' (= the addon\'s)' : ''}`);
  let torchOk = false;
  if (opts.backends.includes('torch')) {
    torchOk = await checkTorch(peerEnv(opts.peerThreads));
    if (!torchOk) console.error('[torch] skipped: /usr/bin/python3 cannot import torch');
  }
  const rounds: BenchResult[][] = [];
  for (let i = 0; i < opts.rounds; i++) {
    if (opts.rounds > 1) console.error(`round ${i + 1}/${opts.rounds}`);
    rounds.push(await runRound(opts, params, reps, warmup, torchOk));
  }
  const rows = aggregateRounds(rounds);
  const peer = new Map<string, number>();
  for (const r of rows) if (r.backend.startsWith('torch') && Number.isFinite(r.medianMs)) peer.set(r.workload, r.medianMs);
  printTable(rows, peer);
  writeCsv(opts.out, rows, peer);
  console.log(`\nwrote ${path.relative(process.cwd(), opts.out)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
