/**
 * `npx tsx bench/kernel-loads.ts [--rounds 31]`
 *
 * How an AVX2 micro-kernel's loads per k step bear on its FMA rate when every operand sits
 * in L1 (bench/kernel-loads.cc): the 6×16 kernel the addon runs, 4×24, 4×16, 4×16 with A's
 * values or B's vectors held in registers (only B's loads or only A's broadcasts left), and
 * 12×8, each against a register-only FMA loop in the same round. Before timing, it reads
 * the compiler's assembly for each variant and marks any that touch the stack: a spill
 * turns held operands back into loads (an earlier study's "B loads only" 6×16 kept 20
 * values in 16 registers and measured 10 loads per step, not 2). Single-threaded: pin it
 * (`taskset -c 1 npx tsx bench/kernel-loads.ts`). Needs a C++ compiler and an AVX2 CPU.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, printColumns, runAsScript } from './common.js';
import { cxxCommand } from './gemm-model.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface AsmCounts { readonly stack: number; readonly fmas: number; readonly broadcasts: number; readonly vectorLoads: number }

/**
 * Per extern "C" function of GCC/Clang AT&T assembly (`name:` to `.cfi_endproc`/`.size`):
 * instructions with a stack operand (spills, reloads), FMAs, broadcasts, aligned vector loads.
 */
export function countAsm(asm: string): Map<string, AsmCounts> {
  const out = new Map<string, AsmCounts>();
  let name: string | undefined;
  let c = { stack: 0, fmas: 0, broadcasts: 0, vectorLoads: 0 };
  for (const raw of asm.split('\n')) {
    const line = raw.trim();
    const label = /^([A-Za-z_][\w.]*):$/.exec(line);
    if (label && !label[1].startsWith('.')) {
      name = label[1];
      c = { stack: 0, fmas: 0, broadcasts: 0, vectorLoads: 0 };
      continue;
    }
    if (!name) continue;
    if (line.startsWith('.cfi_endproc') || line.startsWith('.size')) {
      out.set(name, c);
      name = undefined;
      continue;
    }
    if (line.startsWith('.') || line === '') continue;
    if (/\(%[re]sp\)|\(%[re]bp\)/.test(line)) c.stack++;
    if (/^vfmadd/.test(line)) c.fmas++;
    if (/^vbroadcastss/.test(line)) c.broadcasts++;
    if (/^vmovaps\s+-?\w*\(%/.test(line)) c.vectorLoads++;
  }
  return out;
}

/** Compiles bench/kernel-loads.cc in `dir`: the executable, and countAsm of its assembly. */
export function buildKernelLoads(dir: string): { exe: string; counts: Map<string, AsmCounts> } {
  const src = path.join(here, 'kernel-loads.cc');
  const [cxx, ...cxxArgs] = cxxCommand();
  const flags = [...cxxArgs, '-O3', '-std=c++17'];
  const asmFile = path.join(dir, 'kl.s'), exe = path.join(dir, 'kl');
  for (const args of [[...flags, '-S', '-o', asmFile, src], [...flags, '-o', exe, src]]) {
    const cc = spawnSync(cxx, args, { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`compiling bench/kernel-loads.cc with ${cxx} failed: ${(cc.error?.message ?? cc.stderr ?? '').trim()}`);
  }
  return { exe, counts: countAsm(readFileSync(asmFile, 'utf8')) };
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv.length % 2 !== 0 || (argv.length > 0 && argv[0] !== '--rounds')) throw new Error('usage: bench/kernel-loads.ts [--rounds <n>]');
  const rounds = argv.length ? Number(argv[1]) : 31;
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 1000) throw new Error(`--rounds: expected an integer 1-1000, got ${argv[1]}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lipbench-kernel-loads-'));
  try {
    const { exe, counts } = buildKernelLoads(dir);
    console.log(`${rounds} rounds, each variant ~20000 calls on one L1-resident tile (kc 256); GFLOP/s median, and the median of per-round ratios to the FMA loop`);
    const run = spawnSync(exe, [String(rounds)], { encoding: 'utf8' });
    if (run.status !== 0) {
      const why = run.error?.message ?? (run.signal ? `killed by ${run.signal}${run.signal === 'SIGILL' ? ' (no AVX2/FMA on this CPU?)' : ''}` : (run.stderr ?? '').trim());
      throw new Error(`bench/kernel-loads.cc failed: ${why}`);
    }
    const lines = run.stdout.trim().split('\n').map((l) => l.split('\t'));
    const fma = lines.find((l) => l[0] === 'fma_loop')?.slice(3).map(Number);
    if (!fma) throw new Error('bench/kernel-loads.cc printed no fma_loop line');
    const rows = lines.map(([name, loads, fmas, ...g]) => {
      const gf = g.map(Number);
      const asm = counts.get(`kl_${name}`);
      const spills = asm === undefined ? '?' : asm.stack > 0 ? `SPILLS (${asm.stack} stack operands)` : 'none';
      const perCycle = name === 'fma_loop' ? '0' : (Number(loads) / (Number(fmas) / 2)).toFixed(2);
      return [name, loads, fmas, perCycle, median(gf).toFixed(1), median(gf.map((x, i) => x / fma[i])).toFixed(3), spills];
    });
    printColumns(['variant', 'loads/k', 'FMAs/k', 'loads per 2 FMAs', 'GFLOP/s', '÷ FMA loop', 'stack in asm'], rows);
    if (rows.some((r) => r[6].startsWith('SPILLS'))) console.log('A variant that spills loads more per step than its columns say: read its row with that in mind.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runAsScript(import.meta.url, 'kernel-loads', main);
