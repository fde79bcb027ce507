/**
 * `npm run bench [-- --quick] [--workloads W1,W2] [--backends wasm,wasm+lipbench,wasm+native,cpu,torch]`
 * `npm run bench -- --e2e [--plan plan.json] [--backend b] [--peer-threads n] [--no-peer]`: see bench/e2e.ts
 *
 * Median wall time of workloads W1-W5 per backend configuration, each configuration in its
 * own child process (kernel registration is global), plus the PyTorch peer
 * (bench/peer_torch.py) when /usr/bin/python3 can import torch. The peer is a yardstick
 * only. Prints a table and writes results/bench/bench.csv atomically.
 *
 * Paired, because this VM's speed drifts over minutes (a slow phase makes memory-bound
 * work up to 4x slower): every configuration and the peer are long-lived servers
 * (child.ts, peer_torch.py), and each workload is measured by each of them in turn, round
 * after round, the order reversed every other round, with a pause between measurements
 * so that no side's spinning threads run into the next. A round's ratio compares two
 * measurements taken seconds apart; the reported ratio is the median of the rounds'
 * ratios, with their range. `--rounds N` (default 1) sets the number of rounds; the
 * times shown are the median of the round medians, with their range.
 *
 * Like with like by default: the peer gets as many intra-op threads as the native addon's
 * pool (the CPUs this process may use; `LIPBENCH_NATIVE_THREADS` or `--peer-threads`
 * change them), and with `LIPBENCH_NATIVE_ISA=avx2` on an AVX-512 machine the peer's
 * OpenBLAS, oneDNN and ATen kernels are capped at AVX2 as well.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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

/** Between two measurements: OpenBLAS's idle threads spin ~0.1 s (2^28 cycles) before sleeping. */
const SETTLE_MS = 250;

/** A long-lived child that answers one `{"workload","reps"}` line with one `RESULT <json>` line. */
export class Server {
  private readonly child: ChildProcess;
  private buf = '';
  private err = '';
  private pending?: { workload: string; resolve: (r: BenchResult) => void; timer: NodeJS.Timeout };
  private exited?: string;
  private closed = false;
  private onReady?: () => void;
  /** The backend name the child's results carry (the peer's is torch-<version>-<n>t), once one came. */
  private backend: string;
  /** Settles when the child has printed READY (its backend is up), or has died. */
  readonly ready: Promise<void>;

  /**
   * `timeouts.readyMs`: how long the child may take to print READY; `timeouts.measureMs`:
   * how long one measurement may take (stock wasm's W3 takes minutes a repetition). Past
   * either, the child is killed and reported as such.
   */
  constructor(readonly name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv,
    private readonly timeouts: { readyMs: number; measureMs: number } = { readyMs: 300_000, measureMs: 3_600_000 }) {
    this.backend = name;
    this.ready = new Promise((resolve) => { this.onReady = resolve; });
    this.child = spawn(cmd, args, { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const readyTimer = setTimeout(() => this.kill(`printed no READY in ${timeouts.readyMs / 1000} s`), timeouts.readyMs);
    void this.ready.then(() => clearTimeout(readyTimer));
    this.child.stdout!.setEncoding('utf8');
    this.child.stderr!.setEncoding('utf8');
    this.child.stdout!.on('data', (d: string) => this.onData(d));
    this.child.stderr!.on('data', (d: string) => { this.err = (this.err + d).slice(-4000); });
    this.child.stdin!.on('error', () => {}); // a dead child's stdin: reported through 'close'
    this.child.on('error', (e) => this.onExit(e.message));
    this.child.on('close', (code, signal) => {
      this.closed = true;
      this.onExit(`exited with ${signal ?? code}: ${this.stderrTail()}`);
    });
  }

  /** The child's last three stderr lines, on one line. */
  private stderrTail(): string {
    return this.err.trim().split('\n').slice(-3).join(' | ');
  }

  private kill(why: string): void {
    this.exited ??= why;
    this.child.kill('SIGKILL');
  }

  private onData(text: string): void {
    this.buf += text;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line === 'READY') this.onReady?.();
      if (!line.startsWith('RESULT ') || !this.pending) continue;
      let r: BenchResult;
      try {
        r = JSON.parse(line.slice(7)) as BenchResult;
      } catch {
        this.settle({ ...this.failed(this.pending.workload), error: `${this.name} sent an unreadable result: ${line.slice(0, 120)}` });
        continue;
      }
      if (r.workload !== this.pending.workload) {
        this.settle({ ...this.failed(this.pending.workload), error: `${this.name} answered ${r.workload} when asked for ${this.pending.workload}` });
        continue;
      }
      this.backend = r.backend;
      this.settle({ ...r, medianMs: typeof r.medianMs === 'number' ? r.medianMs : NaN });
    }
  }

  private settle(r: BenchResult): void {
    const p = this.pending;
    this.pending = undefined;
    if (!p) return;
    clearTimeout(p.timer);
    p.resolve(r);
  }

  private onExit(why: string): void {
    this.exited ??= why;
    this.onReady?.();
    if (this.pending) this.settle(this.failed(this.pending.workload));
  }

  private failed(workload: string): BenchResult {
    return { workload, backend: this.backend, medianMs: NaN, reps: 0, description: '', error: `${this.name} ${this.exited ?? 'failed'}` };
  }

  measure(workload: string, reps: number): Promise<BenchResult> {
    if (this.exited) return Promise.resolve(this.failed(workload));
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.kill(`took over ${this.timeouts.measureMs / 1000} s on ${workload}`), this.timeouts.measureMs);
      this.pending = { workload, resolve, timer };
      this.child.stdin!.write(`${JSON.stringify({ workload, reps })}\n`);
    });
  }

  close(): Promise<void> {
    // Closed already, or never started (spawn failed: no 'close' to wait for).
    if (this.closed || this.child.pid === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('close', () => resolve());
      this.child.stdin!.end();
    });
  }
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
  const quote = '"';
  return [quote, ',', '\n'].some((c) => v.includes(c)) ? quote + v.split(quote).join(quote + quote) + quote : v;
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
      const key = ratioKey(r);
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

/** A configuration's time over the peer's, per workload: the median of the rounds' ratios and their range. */
export interface PairedRatio {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number;
}

/**
 * Paired ratios, keyed by backend and workload (`ratioKey`): each round's time over the
 * peer's time for the same workload in the same round, so both were measured under the
 * machine's state of that moment. Rounds where either side failed are left out.
 */
export function pairedRatios(rounds: BenchResult[][], isPeer: (r: BenchResult) => boolean): Map<string, PairedRatio> {
  const ok = (r: BenchResult): boolean => Number.isFinite(r.medianMs) && r.medianMs > 0 && !r.error;
  const ratios = new Map<string, number[]>();
  for (const round of rounds) {
    const peer = new Map(round.filter((r) => isPeer(r) && ok(r)).map((r) => [r.workload, r.medianMs]));
    for (const r of round) {
      const p = peer.get(r.workload);
      if (p === undefined || !ok(r)) continue;
      const key = ratioKey(r);
      ratios.set(key, [...(ratios.get(key) ?? []), r.medianMs / p]);
    }
  }
  return new Map([...ratios].map(([k, v]) => [k, { median: median(v), min: Math.min(...v), max: Math.max(...v), rounds: v.length }]));
}

export const ratioKey = (r: { backend: string; workload: string }): string => `${r.backend}\u0000${r.workload}`;

function writeCsv(file: string, rows: Aggregate[], ratios: Map<string, PairedRatio>): void {
  const lines = ['workload,backend,medianMs,gflops,ratioToPeer,ratioMin,ratioMax,rounds,minMs,maxMs'];
  for (const r of rows) {
    const q = ratios.get(ratioKey(r));
    const fix = (v: number | undefined, d: number): string => (v !== undefined && Number.isFinite(v) ? v.toFixed(d) : '');
    lines.push([r.workload, r.backend, fix(r.medianMs, 3), fix(r.gflops, 2), fix(q?.median, 3), fix(q?.min, 3), fix(q?.max, 3),
      String(r.rounds), fix(r.minMs, 3), fix(r.maxMs, 3)].map(csvEscape).join(','));
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, lines.join('\n') + '\n');
  renameSync(tmp, file);
}

function printTable(rows: Aggregate[], ratios: Map<string, PairedRatio>): void {
  const showRange = rows.some((r) => r.rounds > 1);
  const header = ['workload', 'backend', 'median ms', ...(showRange ? ['range ms'] : []), 'GFLOP/s', 'x peer', ...(showRange ? ['x peer range'] : []), 'note'];
  const body = rows.map((r) => {
    const q = ratios.get(ratioKey(r));
    const range = Number.isFinite(r.minMs) ? `${r.minMs.toFixed(1)}-${r.maxMs.toFixed(1)}` : '';
    const qRange = q ? `${q.min.toFixed(2)}-${q.max.toFixed(2)}` : '';
    return [r.workload, r.backend, Number.isFinite(r.medianMs) ? r.medianMs.toFixed(2) : '-', ...(showRange ? [range] : []),
      r.gflops !== undefined ? r.gflops.toFixed(1) : '', q ? q.median.toFixed(2) : '', ...(showRange ? [qRange] : []),
      r.error ?? r.description];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(fmt(b));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Every workload, round after round, measured by each server in turn (the order reversed
 * every other round). Returns the results grouped by round.
 */
async function measureAll(opts: Options, servers: Server[], reps: Record<string, number>): Promise<BenchResult[][]> {
  const rounds: BenchResult[][] = Array.from({ length: opts.rounds }, () => []);
  for (const w of opts.workloads) {
    const takers = servers.filter((s) => s.name !== 'cpu' || CPU_WORKLOADS.has(w));
    for (let r = 0; r < opts.rounds; r++) {
      for (const s of r % 2 ? [...takers].reverse() : takers) {
        await sleep(SETTLE_MS);
        // Stock wasm's scalar Conv2DBackpropInput makes W3 take minutes per repetition.
        const n = s.name === 'wasm' && w === 'W3' ? 1 : (reps[w] ?? 5);
        const res = await s.measure(w, n);
        const shown = res.error ? `error: ${res.error}` : `${res.medianMs.toFixed(2)} ms`;
        console.error(`  ${w.padEnd(5)}${opts.rounds > 1 ? ` round ${r + 1}/${opts.rounds}` : ''}  ${res.backend.padEnd(18)} ${shown}`);
        rounds[r].push(res);
      }
    }
  }
  return rounds;
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
  const servers: Server[] = [];
  for (const backend of opts.backends) {
    if (backend === 'torch') continue;
    const req: ChildRequest = { config: backend as Config, params, warmup };
    servers.push(new Server(backend, process.execPath, ['--import', 'tsx', path.join(here, 'child.ts'), JSON.stringify(req)], process.env));
  }
  if (torchOk) servers.push(new Server('torch', PYTHON, [path.join(here, 'peer_torch.py'), JSON.stringify({ params, warmup })], peerEnv(opts.peerThreads)));
  let rounds: BenchResult[][];
  try {
    // Measure only once every side is up: a child still loading tfjs or torch would take a core.
    await Promise.all(servers.map((s) => s.ready));
    rounds = await measureAll(opts, servers, reps);
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
  const rows = aggregateRounds(rounds);
  const ratios = pairedRatios(rounds, (r) => r.backend.startsWith('torch'));
  printTable(rows, ratios);
  writeCsv(opts.out, rows, ratios);
  console.log(`\nwrote ${path.relative(process.cwd(), opts.out)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
