/**
 * bench/kernel-loads.ts: docs/performance.md's account of the AVX2 kernel's ceiling (its
 * rate falls with its loads per step) rests on variants that hold operands in registers.
 * An earlier study's "B loads only" kernel spilled and so measured the opposite of its
 * label; the runner's assembly check must catch a spill, and today's variants must have none.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildKernelLoads, countAsm } from '../bench/kernel-loads.js';
import { cxxCommand } from '../bench/gemm-model.js';

const [cxx, ...cxxArgs] = cxxCommand();
const hasCxx = spawnSync(cxx, [...cxxArgs, '--version']).status === 0;
const skip = process.arch !== 'x64' ? 'x86-64 only (AVX2 intrinsics)' : !hasCxx ? 'needs a C++ compiler' : false;

describe('bench/kernel-loads', () => {
  it('counts stack operands, FMAs, broadcasts and vector loads per function', () => {
    const asm = [
      '\t.globl\tkl_a', 'kl_a:', '.LFB1:', '\t.cfi_startproc', '\tvbroadcastss\t(%rdi), %ymm2', '\tvmovaps\t(%rsi), %ymm0',
      '\tvfmadd231ps\t%ymm0, %ymm2, %ymm3', '\tvfmadd231ps\t-56(%rsp), %ymm2, %ymm4', '\tvmovaps\t%ymm5, 8(%rbp)', '.L3:',
      '\tvmovups\t(%rsp), %ymm6', '\tvfmadd231ps\t32(%rsi), %ymm2, %ymm7', '\tvmovaps\t-96(%rbp,%rax,4), %ymm1', '\tret',
      '\t.cfi_endproc', '_kl_b:', '\tvfmadd231ps\t%ymm0, %ymm1, %ymm2', '\tvmovaps\t%ymm2, (%rdx)', '\t.size\tkl_b, .-kl_b',
    ].join('\n');
    const c = countAsm(asm);
    // Stack: -56(%rsp), 8(%rbp), a bare (%rsp), an indexed -96(%rbp,...). Loads: (%rsi), (%rsp),
    // -96(%rbp,...); a store (%ymm5 to memory) is not one.
    assert.deepEqual(c.get('kl_a'), { stack: 4, fmas: 3, fmaMemory: 2, broadcasts: 1, vectorLoads: 3 });
    assert.deepEqual(c.get('kl_b'), { stack: 0, fmas: 1, fmaMemory: 0, broadcasts: 0, vectorLoads: 0 }, "Mach-O's underscore dropped");
    assert.equal(c.has('.L3'), false, 'local labels are not functions');
  });

  it('keeps every variant in registers: no spills, and the held operands are not reloaded', { skip, timeout: 120_000 }, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lipbench-kl-test-'));
    try {
      const { counts } = buildKernelLoads(dir);
      const names = ['kl_6x16', 'kl_4x24', 'kl_4x16', 'kl_4x16_b_loads_only', 'kl_4x16_a_broadcasts_only', 'kl_12x8', 'kl_6x16_a_broadcasts_only', 'kl_3x32_b_loads_only', 'kl_3x32', 'kl_12x8_a_broadcasts_only', 'kl_1x96_b_loads_only', 'fma_loop_avx2'];
      for (const n of names) {
        const c = counts.get(n);
        assert.ok(c, `${n} not found in the assembly`);
        assert.equal(c.stack, 0, `${n} touches the stack (a spill): ${JSON.stringify(c)}`);
      }
      const full = counts.get('kl_4x16')!, bOnly = counts.get('kl_4x16_b_loads_only')!, aOnly = counts.get('kl_4x16_a_broadcasts_only')!;
      // A held: its 4 broadcasts happen once, before the loop, and B's 2 loads a step remain;
      // B held: its 2 loads happen once, and A's 4 broadcasts a step remain. Whatever the
      // unrolling, a step's operands inside the loop add to these counts.
      assert.equal(bOnly.broadcasts, 4, JSON.stringify(bOnly));
      assert.ok(bOnly.vectorLoads + bOnly.fmaMemory > 2, JSON.stringify(bOnly));
      assert.equal(aOnly.vectorLoads + aOnly.fmaMemory, 2, JSON.stringify(aOnly));
      assert.ok(aOnly.broadcasts > 4, JSON.stringify(aOnly));
      assert.ok(full.broadcasts > 4 && full.vectorLoads + full.fmaMemory > 2, JSON.stringify(full));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
