/**
 * `npx tsx bench/blas-peers.ts [--threads 1] [--reps 7] [--lib NAME=PATH ...]`
 *
 * The outside check on `bench:gemm`'s "% of the FMA peak": other BLAS libraries' sgemm on
 * the same shapes (bench/gemm-shapes.ts), each sample divided by the same register-only
 * FMA loop timed before and after it (bench/blas-peers.cc). If a mature BLAS does no
 * better than lipbench against that yardstick on this machine, the gap to the peak is the
 * machine's, not lipbench's. By default it runs the libraries of Debian's packages that are
 * installed: OpenBLAS (libopenblas0-pthread, what PyTorch's peer uses here) and BLIS
 * (libblis4-pthread, libblis4-openmp); `--lib NAME=PATH` adds any library with a Fortran
 * `sgemm_` callable from C as those two are (no hidden string lengths). `npm run bench:gemm
 * -- --blas` puts the same columns beside lipbench's own. On one thread pin it: `taskset -c
 * 1 npx tsx bench/blas-peers.ts`. Needs a C++ compiler and an x86-64 CPU with AVX2 and FMA
 * but not AVX-512: the yardstick is the AVX2 loop, which is not the peak where the
 * libraries run wider kernels (`yardstickProblem`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { argvOptions, median, printColumns, runAsScript } from './common.js';
import { compileCxx } from './gemm-model.js';
import { SHAPES, type GemmShape } from './gemm-shapes.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface BlasLibrary { readonly name: string; readonly path: string }

/** Debian's (bookworm) builds, where their packages put them; `installedLibraries` keeps those present. */
export const DEBIAN_LIBRARIES: readonly BlasLibrary[] = [
  { name: 'OpenBLAS', path: '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0' },
  { name: 'BLIS', path: '/usr/lib/x86_64-linux-gnu/blis-pthread/libblis.so.4' },
  { name: 'BLIS-omp', path: '/usr/lib/x86_64-linux-gnu/blis-openmp/libblis.so.4' },
];

/** The CPU flags of /proc/cpuinfo's first processor (empty where there is none: not Linux). */
export function cpuFlags(cpuinfo?: string): Set<string> {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return new Set();
    }
  }
  const line = /^flags\s*:(.*)$/m.exec(text);
  return new Set(line ? line[1].trim().split(/\s+/) : []);
}

/**
 * Why the AVX2 FMA loop cannot be this CPU's yardstick, or undefined when it can: it needs
 * AVX2 and FMA (the harness would die of an illegal instruction), and on an AVX-512 CPU
 * the libraries run wider kernels than the loop, so their share of it is not a share of
 * the peak (OpenBLAS above 100%).
 */
export function yardstickProblem(flags: ReadonlySet<string>): string | undefined {
  if (!flags.has('avx2') || !flags.has('fma')) return 'the yardstick is an AVX2 FMA loop, and this CPU lacks AVX2 or FMA (or /proc/cpuinfo)';
  if (flags.has('avx512f')) return 'the yardstick is the AVX2 FMA loop, which is not the peak of this AVX-512 CPU: run it on an AVX2-only CPU';
  return undefined;
}

export function installedLibraries(candidates: readonly BlasLibrary[] = DEBIAN_LIBRARIES): BlasLibrary[] {
  return candidates.filter((l) => existsSync(l.path));
}

/** `--lib NAME=PATH` values into libraries; an error names the bad value. */
export function parseLibs(values: readonly string[]): BlasLibrary[] {
  return values.map((v) => {
    const at = v.indexOf('=');
    if (at <= 0 || at === v.length - 1) throw new Error(`--lib: "${v}" is not NAME=PATH`);
    return { name: v.slice(0, at), path: v.slice(at + 1) };
  });
}

export interface PeerRow { readonly shape: Omit<GemmShape, 'what'>; readonly gflops: readonly number[]; readonly ratios: readonly number[] }
export interface PeerRun { readonly library: BlasLibrary; readonly config: string; readonly rows: readonly PeerRow[] }

/** Compiles bench/blas-peers.cc into `dir`; returns the executable's path. */
export function buildBlasPeers(dir: string): string {
  const exe = path.join(dir, 'blas-peers');
  compileCxx(path.join(here, 'blas-peers.cc'), ['-o', exe, '-pthread', '-ldl']);
  return exe;
}

/**
 * Runs the harness on one library; an error (the library missing, no `sgemm_`, a wrong
 * result on some shape) names the library and carries the harness's message.
 */
export function runBlasPeer(exe: string, library: BlasLibrary, threads: number, reps: number, shapes: readonly Omit<GemmShape, 'what'>[]): PeerRun {
  const spec = shapes.map((s) => `${s.m},${s.k},${s.n},${s.ta ? 1 : 0},${s.tb ? 1 : 0}`).join(';');
  const r = spawnSync(exe, [library.path, String(threads), String(reps), spec], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), BLIS_NUM_THREADS: String(threads) },
    maxBuffer: 1 << 24,
  });
  const where = `${library.name} (${library.path})`;
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || (r.signal ? `killed by ${r.signal}` : `exit ${r.status}`)).trim().split('\n').pop();
    throw new Error(`${where}: ${why}`);
  }
  const [head, ...lines] = r.stdout.trim().split('\n').map((l): Record<string, unknown> => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new Error(`${where}: the harness printed a line that is not JSON: ${l}`);
    }
  });
  /** A sample list: `reps` finite positive numbers. */
  const samples = (v: unknown, what: string): number[] => {
    if (!Array.isArray(v) || v.length !== reps || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)) {
      throw new Error(`${where}: ${what} is not ${reps} finite positive numbers: ${JSON.stringify(v)}`);
    }
    return v as number[];
  };
  const rows = lines.map((o): PeerRow => ({
    shape: { m: Number(o.m), k: Number(o.k), n: Number(o.n), ta: o.ta === 1, tb: o.tb === 1 },
    gflops: samples(o.gflops, 'gflops'),
    ratios: samples(o.ratios, 'ratios'),
  }));
  if (rows.length !== shapes.length) throw new Error(`${where}: the harness timed ${rows.length} of ${shapes.length} shapes`);
  return { library, config: String(head?.config ?? ''), rows };
}

/** Builds the harness in a temporary directory and runs every library; the build is removed after. */
export function runBlasPeers(libraries: readonly BlasLibrary[], threads: number, reps: number, shapes: readonly Omit<GemmShape, 'what'>[] = SHAPES): PeerRun[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lipbench-blas-peers-'));
  try {
    const exe = buildBlasPeers(dir);
    return libraries.map((l) => runBlasPeer(exe, l, threads, reps, shapes));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "median (min-max)" of a run's per-sample shares of the FMA peak, in percent. */
export function percentCell(ratios: readonly number[]): string {
  const pct = (x: number): string => (100 * x).toFixed(0);
  return `${pct(median(ratios))} (${pct(Math.min(...ratios))}-${pct(Math.max(...ratios))})`;
}

function main(): void {
  const argv = process.argv.slice(2);
  const { int } = argvOptions(argv);
  const problem = yardstickProblem(cpuFlags());
  if (problem) throw new Error(problem);
  const threads = int('threads', 1), reps = int('reps', 7);
  const extra = parseLibs(argv.flatMap((a, i) => (a === '--lib' && i + 1 < argv.length ? [argv[i + 1]] : [])));
  for (const l of extra) if (!existsSync(l.path)) throw new Error(`--lib ${l.name}: ${l.path} does not exist`);
  const installed = installedLibraries();
  const libraries = [...installed, ...extra];
  const missing = DEBIAN_LIBRARIES.filter((l) => !installed.includes(l));
  if (missing.length > 0) console.log(`not installed (skipped): ${missing.map((l) => `${l.name} ${l.path}`).join(', ')}`);
  if (libraries.length === 0) throw new Error('no BLAS library to run: apt-get install libopenblas0-pthread libblis4-pthread, or pass --lib NAME=PATH');
  const runs = runBlasPeers(libraries, threads, reps);
  for (const r of runs) console.log(`${r.library.name}: ${r.library.path}${r.config ? ` (${r.config})` : ''}`);
  console.log(`${threads} thread(s), ${reps} samples per shape; % of the FMA peak: median (min-max) of the samples' own ratios`);
  printColumns(
    ['shape', ...runs.flatMap((r) => [`${r.library.name} GF/s`, `${r.library.name} % FMA peak`])],
    SHAPES.map((s, i) => [s.what, ...runs.flatMap((r) => [median(r.rows[i].gflops).toFixed(1), percentCell(r.rows[i].ratios)])]),
  );
}

runAsScript(import.meta.url, 'blas-peers', main);
