/**
 * bench/gemm-model.ts: docs/performance.md's breakdown of a GEMM thread's time comes from this
 * model, so it must still find the addon's micro-kernel in the source, and the loop it
 * times must compute the product it claims to (edge rows, several k blocks and ranges).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { buildModel, cxxCommand, extractKernel } from '../bench/gemm-model.js';

const avx2 = (() => {
  try {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    return process.arch === 'x64' && /\bavx2\b/.test(cpuinfo) && /\bfma\b/.test(cpuinfo);
  } catch {
    return false;
  }
})();
const [cxx, ...cxxArgs] = cxxCommand();
const hasCxx = spawnSync(cxx, [...cxxArgs, '--version']).status === 0;

describe('bench/gemm-model', () => {
  it('finds the AVX2 micro-kernel in the addon source, and says so when it cannot', () => {
    const src = readFileSync(new URL('../native/lipbench_native.cc', import.meta.url), 'utf8');
    const kern = extractKernel(src);
    assert.match(kern, /static void kern_avx2\(/);
    assert.doesNotMatch(kern, /kern_avx512/);
    assert.equal((kern.match(/{/g) ?? []).length, (kern.match(/}/g) ?? []).length, 'the extracted template is a whole definition');
    assert.throws(() => extractKernel(src.replace(/kern_avx2/g, 'kern_x')), /kern_avx2 not found/);
  });

  it('computes the product it times', { skip: !avx2 || !hasCxx ? 'needs an AVX2+FMA CPU and a C++ compiler' : false, timeout: 120_000 }, () => {
    const { exe, cleanup } = buildModel();
    try {
      // M = 20 (three 6-row panels and a 2-row edge), K = 71 in k blocks of 32 (a short
      // last one), N = 96 in ranges of 4 panels (a short last range), B rows 100 apart;
      // the README's default shape; one row past a panel, one k block, one panel a range.
      for (const args of [[20, 71, 96, 100, 32, 4], [128, 784, 256, 512, 196, 4], [7, 16, 16, 16, 16, 1], [13, 45, 48, 53, 16, 2]]) {
        const r = spawnSync(exe, [...args, 1, 'check'].map(String), { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const m = /max relative error (\S+)/.exec(r.stdout);
        assert.ok(m, r.stdout);
        assert.ok(Number(m[1]) < 1e-5, `${args.join(' ')}: ${r.stdout}`);
      }
      const bad = spawnSync(exe, ['8', '8', '20', '20', '8', '1', '1'], { encoding: 'utf8' });
      assert.equal(bad.status, 2, 'N not a multiple of 16 is refused');
      assert.match(bad.stderr, /multiple of 16/);
    } finally {
      cleanup();
    }
  });
});
