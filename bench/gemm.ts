/**
 * `npm run bench:gemm -- [--isa avx2] [--threads 1] [--reps 7] [--peer] [--blas]`
 *
 * GFLOP/s of the native addon's SGEMM on 1024³ and the shapes MLP training issues
 * (forward X·W, weight gradient Xᵀ·dY, input gradient dY·Wᵀ at batch 128-256), against two
 * FMA peaks: the nominal one (flops/cycle of the ISA × "cpu MHz" from /proc/cpuinfo, the
 * base clock, which boost exceeds) and a measured one, a register-only FMA loop (fmaPeak)
 * timed before and after each GEMM sample (with the kernel ceiling below between the
 * loop and the sample, ~10 ms each), so clock boost, a neighbour's load and this VM's
 * slow phases largely cancel out of the ratio. On one thread both are timed in
 * process CPU time; on several, the loop's work is pulled by the pool's threads and both are
 * timed on the wall clock. `--peer` times torch.matmul on the same shapes with the same
 * thread count (bench/peer_gemm.py, run before ours: its ratio is not paired). `--blas`
 * adds the installed OpenBLAS and BLIS builds' "% measured", each sample of theirs divided
 * by the same FMA loop (the AVX2 one, so only on an AVX2-only CPU) beside it
 * (bench/blas-peers.ts; also run before ours).
 * A third reference, the kernel ceiling (kernelPeak: the addon's own micro-kernel on a tile
 * that stays in L1), is timed the same way and shown beside the FMA peak: the loop does
 * no loads, and when the ceiling falls below it (on the Zen 3 VM to 0.87-0.99 of it,
 * moving with the VM's phase, for a reason its lack of performance counters hid), no
 * GEMM built on that kernel can close the gap.
 * For a single-core figure pin the process: `taskset -c 0 npm run bench:gemm -- --threads 1`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from '../src/kernels/native/addon.js';
import { loadNative } from '../src/node/native-addon.js';
import { peerEnv } from './peer-env.js';
import { median, printColumns, runAsScript } from './common.js';
import { SHAPES, type GemmShape } from './gemm-shapes.js';
import { cpuFlags, installedLibraries, runBlasPeers, yardstickProblem } from './blas-peers.js';

/**
 * One SGEMM of `s` on `heap` (alpha 1, beta 0, no bias or activation), its operands at
 * the given float offsets, densely stored as the shape says.
 */
export function sgemmOn(addon: NativeAddon, s: Omit<GemmShape, 'what'>, heap: Float32Array, aOff: number, bOff: number, cOff: number): void {
  addon.sgemm(heap, s.ta, s.tb, s.m, s.n, s.k, 1, aOff, s.ta ? s.m : s.k, bOff, s.tb ? s.k : s.n, 0, cOff, s.n, -1, 0);
}

/** FMA peak in GFLOP/s: lanes × 2 flops × 2 FMA pipes per cycle (Zen 3/4, Skylake-X and later) × GHz × threads. */
export function peakGflops(isa: string, mhz: number, threads: number): number {
  const lanes = isa === 'avx512' ? 16 : isa === 'avx2' ? 8 : 4;
  return lanes * 2 * 2 * (mhz / 1000) * threads;
}

function cpuMhz(): number {
  try {
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

function main(): void {
  const argv = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const { addon, why } = loadNative();
  if (!addon) throw new Error(why);
  const isa = addon.setIsa(opt('--isa') ?? addon.info().isa);
  const threads = addon.setThreads(Number(opt('--threads') ?? addon.info().threads));
  const reps = Number(opt('--reps') ?? 7);
  const mhz = cpuMhz();
  const peak = peakGflops(isa, mhz, threads);
  console.log(`native sgemm: ${isa}, ${threads} thread(s); peak ${peak.toFixed(1)} GFLOP/s = ${isa === 'avx512' ? 16 : isa === 'avx2' ? 8 : 4} lanes x 2 flops x 2 FMA pipes x ${(mhz / 1000).toFixed(3)} GHz (nominal "cpu MHz") x ${threads}`);
  const peer = argv.includes('--peer') ? runPeer(threads) : undefined;
  const wantBlas = argv.includes('--blas');
  const blasProblem = wantBlas ? (isa === 'avx2' ? yardstickProblem(cpuFlags()) : `the addon runs ${isa}, and the peers' yardstick is the AVX2 FMA loop`) : undefined;
  if (blasProblem) throw new Error(`--blas: ${blasProblem}`);
  const libraries = wantBlas ? installedLibraries() : [];
  if (wantBlas && libraries.length === 0) console.log('--blas: no OpenBLAS or BLIS build installed (apt-get install libopenblas0-pthread libblis4-pthread libblis4-openmp)');
  const blas = libraries.length > 0 ? runBlasPeers(libraries, threads, reps) : [];
  for (const r of blas) console.log(`${r.library.name}: ${r.library.path}${r.config ? ` (${r.config})` : ''}, timed before ours against the same FMA loop`);
  const header = ['shape', 'tA', 'tB', 'median GF/s', 'best GF/s', '% nominal', ...(threads === 1 ? ['CPU-time GF/s'] : []), '% measured', '% kernel ceiling', ...(peer ? ['torch GF/s', 'torch/ours', ...(threads === 1 ? ['torch CPU-time GF/s', 'torch/ours CPU'] : [])] : []), ...blas.map((r) => `${r.library.name} % measured`)];
  /** Process CPU microseconds: with one thread, the time this process actually ran, whatever its neighbours do. */
  const cpu = (): number => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  /** GFLOP/s of `work` (flops done on `threads` pool threads): on one thread per CPU second, on the pool per wall second. */
  const rate = (work: () => number) => (): number => {
    const t = threads === 1 ? cpu() : performance.now();
    const f = work();
    return threads === 1 ? f / ((cpu() - t) * 1e3) : f / ((performance.now() - t) * 1e6);
  };
  /** The register-only FMA loop. */
  const burn = rate(() => addon.fmaPeak(4e6, threads));  // 0 flops, at once, on the generic ISA
  /** The micro-kernel on an L1-resident tile: ~10 ms at 100 GFLOP/s on AVX2. */
  const ceiling = rate(() => addon.kernelPeak(20000, threads));
  burn();
  ceiling();
  const timing = threads === 1 ? 'CPU time' : `wall clock, ${threads} threads`;
  console.log(`measured FMA peak (${timing}): ${median(Array.from({ length: 5 }, burn)).toFixed(1)} GFLOP/s; kernel ceiling (micro-kernel on an L1-resident tile, ${timing}): ${median(Array.from({ length: 5 }, ceiling)).toFixed(1)} GFLOP/s`);
  const rows: string[][] = [];
  for (const [si, s] of SHAPES.entries()) {
    const aLen = s.m * s.k, bLen = s.k * s.n, cLen = s.m * s.n;
    const heap = new Float32Array(aLen + bLen + cLen);
    for (let i = 0; i < aLen + bLen; i++) heap[i] = Math.random() - 0.5;
    const call = (): void => sgemmOn(addon, s, heap, 0, aLen, aLen + bLen);
    const flops = 2 * s.m * s.n * s.k;
    // Enough calls per sample to last ~50 ms, so timer and call overhead vanish.
    call();
    let t0 = performance.now();
    call();
    const inner = Math.max(1, Math.ceil(50 / Math.max(performance.now() - t0, 0.01)));
    const gf: number[] = [];
    const gfCpu: number[] = [];
    const ratios: number[] = [];
    const ceilRatios: number[] = [];
    for (let r = 0; r < reps; r++) {
      const before = burn();
      const ceilBefore = ceiling();
      t0 = performance.now();
      const c0 = cpu();
      for (let i = 0; i < inner; i++) call();
      gfCpu.push((flops * inner) / ((cpu() - c0) * 1e3));
      gf.push((flops * inner) / ((performance.now() - t0) * 1e6));
      const ours = threads === 1 ? gfCpu[r] : gf[r];
      const peakHere = Math.max(before, burn());
      ratios.push(peakHere > 0 ? ours / peakHere : NaN); // 0 on the generic ISA: no loop to time
      ceilRatios.push(ours / Math.max(ceilBefore, ceiling()));
    }
    const med = median(gf);
    const p = peer?.get(s.what);
    const pc = peer?.get(`${s.what} cpu`);
    rows.push([s.what, String(s.ta), String(s.tb), med.toFixed(1), Math.max(...gf).toFixed(1), ((100 * med) / peak).toFixed(0),
      ...(threads === 1 ? [median(gfCpu).toFixed(1)] : []), Number.isFinite(median(ratios)) ? (100 * median(ratios)).toFixed(0) : '-', (100 * median(ceilRatios)).toFixed(0),
      ...(peer ? [p ? p.toFixed(1) : '-', p ? (p / med).toFixed(2) : '-'] : []),
      ...(peer && threads === 1 ? [pc ? pc.toFixed(1) : '-', pc ? (pc / median(gfCpu)).toFixed(2) : '-'] : []),
      ...blas.map((r) => (100 * median(r.rows[si].ratios)).toFixed(0))]);
  }
  printColumns(header, rows);
}

/** torch.matmul GFLOP/s (median) per shape, with the same threads and a matched ISA. */
function runPeer(threads: number): Map<string, number> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const r = spawnSync('/usr/bin/python3', [path.join(here, 'peer_gemm.py'), JSON.stringify(SHAPES)], { env: peerEnv(threads), encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`torch peer failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
    return new Map();
  }
  console.log(r.stderr.trim());
  return new Map(Object.entries(JSON.parse(r.stdout) as Record<string, number>));
}

runAsScript(import.meta.url, 'bench:gemm', main);
