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

describe('bench/kernel-loads', () => {
  it('counts stack operands, FMAs, broadcasts and vector loads per function', () => {
    const asm = [
      '\t.globl\tkl_a', 'kl_a:', '.LFB1:', '\t.cfi_startproc', '\tvbroadcastss\t(%rdi), %ymm2', '\tvmovaps\t(%rsi), %ymm0',
      '\tvfmadd231ps\t%ymm0, %ymm2, %ymm3', '\tvfmadd231ps\t-56(%rsp), %ymm2, %ymm4', '\tvmovaps\t%ymm5, 8(%rbp)', '.L3:', '\tret',
      '\t.cfi_endproc', 'kl_b:', '\tvfmadd231ps\t%ymm0, %ymm1, %ymm2', '\t.size\tkl_b, .-kl_b',
    ].join('\n');
    const c = countAsm(asm);
    assert.deepEqual(c.get('kl_a'), { stack: 2, fmas: 2, broadcasts: 1, vectorLoads: 1 });
    assert.deepEqual(c.get('kl_b'), { stack: 0, fmas: 1, broadcasts: 0, vectorLoads: 0 });
    assert.equal(c.has('.L3'), false, 'local labels are not functions');
  });

  it('keeps every variant in registers: no spills, and the held operands are not reloaded', { skip: !hasCxx ? 'needs a C++ compiler' : false, timeout: 120_000 }, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lipbench-kl-test-'));
    try {
      const { counts } = buildKernelLoads(dir);
      const names = ['kl_6x16', 'kl_4x24', 'kl_4x16', 'kl_4x16_b_loads_only', 'kl_4x16_a_broadcasts_only', 'kl_12x8', 'kl_fma_loop'];
      for (const n of names) {
        const c = counts.get(n);
        assert.ok(c, `${n} not found in the assembly`);
        assert.equal(c.stack, 0, `${n} touches the stack (a spill): ${JSON.stringify(c)}`);
      }
      const full = counts.get('kl_4x16')!, bOnly = counts.get('kl_4x16_b_loads_only')!, aOnly = counts.get('kl_4x16_a_broadcasts_only')!;
      // Held A: its 4 broadcasts happen once, before the loop; held B: its 2 loads likewise.
      assert.equal(bOnly.broadcasts, 4, JSON.stringify(bOnly));
      assert.ok(full.broadcasts > 4 * bOnly.broadcasts, JSON.stringify(full));
      assert.ok(aOnly.vectorLoads < full.vectorLoads, `${JSON.stringify(aOnly)} vs ${JSON.stringify(full)}`);
      assert.equal(aOnly.fmas, full.fmas);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
