/**
 * `npx tsx bench/kernel-loads.ts [--rounds 31]`
 *
 * How an AVX2 micro-kernel's FMA rate follows its loads per k step when every operand sits
 * in L1 (bench/kernel-loads.cc): the 6×16 kernel the addon runs, 4×24, 4×16, 4×16 with A's
 * values or B's vectors held in registers (only B's loads or only A's broadcasts left), and
 * 12×8, each against a register-only FMA loop in the same round. Before timing, it reads
 * the compiler's assembly for each variant and marks any that touch the stack: a spill
 * turns held operands back into loads (an earlier study's "B loads only" 6×16 kept 20
 * values in 16 registers, and its assembly did 10 vector loads a step, not 2). It prints
 * the loads each variant's source does per step beside what its assembly holds (FMAs,
 * broadcasts, vector loads, memory operands folded into FMAs: static counts over the whole
 * function, the 4-times unrolled loop and its prologue and remainder included).
 * Single-threaded: pin it (`taskset -c 1 npx tsx bench/kernel-loads.ts`). Needs a C++
 * compiler and an x86-64 CPU with AVX2 and FMA.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, printColumns, runAsScript } from './common.js';
import { compileCxx } from './gemm-model.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The yardstick's row and function (bench/fma-loop.h); the variants' functions are `kl_` + row name. */
const FMA_ROW = 'fma_loop_avx2';

export interface AsmCounts {
  /** Instructions with an operand addressed from %rsp or %rbp (spills, reloads, a frame). */
  readonly stack: number;
  readonly fmas: number;
  /** FMAs whose multiplicand is a memory operand (a load folded into the FMA). */
  readonly fmaMemory: number;
  readonly broadcasts: number;
  /** vmovaps/vmovups from memory into a register. */
  readonly vectorLoads: number;
}

/**
 * Per function of GCC/Clang AT&T assembly (`name:` to `.cfi_endproc`/`.size`; Mach-O's
 * leading underscore dropped): instructions with a stack operand, FMAs (and those with a
 * memory operand), broadcasts, vector loads.
 */
export function countAsm(asm: string): Map<string, AsmCounts> {
  const out = new Map<string, AsmCounts>();
  let name: string | undefined;
  const zero = (): { -readonly [K in keyof AsmCounts]: number } => ({ stack: 0, fmas: 0, fmaMemory: 0, broadcasts: 0, vectorLoads: 0 });
  let c = zero();
  for (const raw of asm.split('\n')) {
    const line = raw.trim();
    const label = /^([A-Za-z_][\w.]*):$/.exec(line);
    if (label) {
      name = label[1].replace(/^_(?=kl_)/, '');
      c = zero();
      continue;
    }
    if (!name) continue;
    if (line.startsWith('.cfi_endproc') || line.startsWith('.size')) {
      out.set(name, c);
      name = undefined;
      continue;
    }
    if (line.startsWith('.') || line === '') continue;
    if (/\(%[re][sb]p[,)]/.test(line)) c.stack++;
    if (/^vfmadd/.test(line)) {
      c.fmas++;
      if (/^vfmadd\w*\s+[^%\s,]*\(/.test(line)) c.fmaMemory++;
    }
    if (/^vbroadcastss/.test(line)) c.broadcasts++;
    if (/^vmov[au]ps\s+[^%\s,]*\(/.test(line)) c.vectorLoads++;
  }
  return out;
}

/** Compiles bench/kernel-loads.cc in `dir`: the executable, and countAsm of its assembly. */
export function buildKernelLoads(dir: string): { exe: string; counts: Map<string, AsmCounts> } {
  const src = path.join(here, 'kernel-loads.cc');
  const asmFile = path.join(dir, 'kl.s'), exe = path.join(dir, 'kl');
  compileCxx(src, ['-S', '-o', asmFile]);
  compileCxx(src, ['-o', exe]);
  return { exe, counts: countAsm(readFileSync(asmFile, 'utf8')) };
}

function main(): void {
  const argv = process.argv.slice(2);
  if (!(argv.length === 0 || (argv.length === 2 && argv[0] === '--rounds'))) throw new Error('usage: bench/kernel-loads.ts [--rounds <n>]');
  const rounds = argv.length ? Number(argv[1]) : 31;
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 1000) throw new Error(`--rounds: expected an integer 1-1000, got ${argv[1]}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lipbench-kernel-loads-'));
  try {
    const { exe, counts } = buildKernelLoads(dir);
    console.log(`${rounds} rounds; each variant does 20000 x 192 k steps (~8 ms) on one tile whose packed A and B fit 24 KB of L1 (kc ≤ 192); GFLOP/s median, and the median of per-round ratios to the FMA loop`);
    const run = spawnSync(exe, [String(rounds)], { encoding: 'utf8' });
    if (run.status !== 0) {
      const why = run.error?.message ?? (run.signal ? `killed by ${run.signal}${run.signal === 'SIGILL' ? ' (no AVX2/FMA on this CPU?)' : ''}` : (run.stderr ?? '').trim());
      throw new Error(`bench/kernel-loads.cc failed: ${why}`);
    }
    const lines = run.stdout.trim().split('\n').map((l) => l.split('\t'));
    const fma = lines.find((l) => l[0] === FMA_ROW)?.slice(4).map(Number);
    if (!fma) throw new Error(`bench/kernel-loads.cc printed no ${FMA_ROW} line`);
    const rows = lines.map(([name, kc, loads, fmas, ...g]) => {
      const gf = g.map(Number);
      const asm = counts.get(name === FMA_ROW ? name : `kl_${name}`);
      const held = asm === undefined ? '?' : `${asm.fmas} / ${asm.broadcasts} / ${asm.vectorLoads} / ${asm.fmaMemory}`;
      const stack = asm === undefined ? 'not found' : asm.stack > 0 ? `${asm.stack}: SPILLS?` : 'none';
      const perFmaPair = name === FMA_ROW ? '0' : (Number(loads) / (Number(fmas) / 2)).toFixed(2);
      return [name, name === FMA_ROW ? '-' : kc, loads, fmas, perFmaPair, median(gf).toFixed(1), median(gf.map((x, i) => x / fma[i])).toFixed(3), held, stack];
    });
    printColumns(['variant', 'kc', 'loads/k', 'FMAs/k', 'loads per 2 FMAs', 'GFLOP/s', '÷ FMA loop', 'asm: FMAs / bcasts / loads / FMA mem', 'stack operands'], rows);
    if (rows.some((r) => r[8] !== 'none')) {
      console.log('A variant with stack operands may spill (its held operands are loads again) and then loads more per step than its columns say; read its assembly.');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runAsScript(import.meta.url, 'kernel-loads', main);
