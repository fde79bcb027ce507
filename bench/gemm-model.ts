/**
 * `npx tsx bench/gemm-model.ts [--m 128 --k 784 --n 256 --ldb 512 --kc 196 --panels 4 --reps 3]`
 *
 * Where one thread's share of a column-split SGEMM spends its time: bench/gemm-model.cc
 * run around the addon's own AVX2 micro-kernel, copied out of native/lipbench_native.cc
 * at build time, with the packing of A and B switched on and off (see that file). Prints,
 * per part, the median share of the FMA peak measured beside each sample. The defaults
 * are one thread's half of the batch-128 forward product 128×784·784×512 (the B rows 512
 * floats apart, 4 × 196 k blocks, ranges of 4 column panels). Single-threaded: pin it
 * (`taskset -c 1 npx tsx bench/gemm-model.ts`). Needs a C++ compiler and an AVX2 CPU.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { argvOptions, median, printColumns, runAsScript } from './common.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The AVX2 micro-kernel template, from its leading comment to the AVX-512 one after it. */
export function extractKernel(source: string): string {
  const start = source.indexOf('// R rows of a tile packed MR wide');
  const end = source.indexOf('template <int R, int MR = R>', start);
  if (start < 0 || end < 0 || !source.slice(start, end).includes('kern_avx2')) {
    throw new Error('native/lipbench_native.cc: kern_avx2 not found where bench/gemm-model.ts looks for it (update extractKernel)');
  }
  return source.slice(start, end);
}

/** The C++ compiler command: CXX, which may carry a launcher or flags ("ccache g++") as make allows, or c++. */
export function cxxCommand(): string[] {
  return (process.env.CXX || 'c++').trim().split(/\s+/);
}

/**
 * Compiles the C++ file `src` with CXX at -O3, C++17, and `args` (the output: `-o exe`, or
 * `-S -o file.s`), bench/ on the include path for the headers the bench programs share
 * (fma-loop.h); an error names the file and carries the compiler's message.
 */
export function compileCxx(src: string, args: readonly string[]): void {
  const [cxx, ...cxxArgs] = cxxCommand();
  const cc = spawnSync(cxx, [...cxxArgs, '-O3', '-std=c++17', '-I', here, ...args, src], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`compiling ${path.basename(src)} with ${cxx} failed: ${(cc.error?.message ?? cc.stderr ?? '').trim()}`);
}

/** Builds the model in a temporary directory; returns its path and a cleanup. */
export function buildModel(): { exe: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lipbench-gemm-model-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    writeFileSync(path.join(dir, 'kern_avx2.inc'), extractKernel(readFileSync(path.join(here, '..', 'native', 'lipbench_native.cc'), 'utf8')));
    copyFileSync(path.join(here, 'gemm-model.cc'), path.join(dir, 'gemm-model.cc'));
    const exe = path.join(dir, 'gemm-model');
    compileCxx(path.join(dir, 'gemm-model.cc'), ['-o', exe]);
    return { exe, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

function main(): void {
  const argv = process.argv.slice(2);
  const known = ['m', 'k', 'n', 'ldb', 'kc', 'panels', 'reps'];
  for (let i = 0; i < argv.length; i += 2) {
    if (!known.includes(argv[i].replace(/^--/, '')) || !argv[i].startsWith('--')) {
      throw new Error(`unknown argument ${argv[i]}: expected ${known.map((k) => `--${k} <n>`).join(', ')}`);
    }
  }
  const { int } = argvOptions(argv);
  const m = int('m', 128), k = int('k', 784), n = int('n', 256), ldb = int('ldb', 512), kc = int('kc', 196), panels = int('panels', 4), reps = int('reps', 3);
  if (n % 16 !== 0 || ldb < n) throw new Error('--n must be a multiple of 16 and --ldb at least --n');
  const { exe, cleanup } = buildModel();
  try {
    console.log(`one thread's share: ${m}x${k} · ${k}x${n} (B rows ${ldb} floats apart), k blocks of ${kc}, ranges of ${panels} panels, ${reps} rounds`);
    const run = spawnSync(exe, [m, k, n, ldb, kc, panels, reps].map(String), { encoding: 'utf8' });
    if (run.status !== 0) {
      const why = run.error?.message ?? (run.signal ? `killed by ${run.signal}${run.signal === 'SIGILL' ? ' (no AVX2/FMA on this CPU?)' : ''}` : (run.stderr ?? '').trim());
      throw new Error(`the model failed: ${why}`);
    }
    const byMode = new Map<string, { us: number[]; pct: number[] }>();
    for (const line of run.stdout.trim().split('\n')) {
      const [, name, us, pct] = line.split('\t');
      const e = byMode.get(name) ?? { us: [], pct: [] };
      e.us.push(Number(us));
      e.pct.push(Number(pct));
      byMode.set(name, e);
    }
    const rows = [...byMode].map(([name, e]) => [name, median(e.us).toFixed(1), median(e.pct).toFixed(1), `${Math.min(...e.pct).toFixed(1)}-${Math.max(...e.pct).toFixed(1)}`]);
    printColumns(['what runs', 'median µs', '% of peak', 'range'], rows);
  } finally {
    cleanup();
  }
}

runAsScript(import.meta.url, 'gemm-model', main);
