/**
 * bench/blas-peers.ts: docs/performance.md weighs lipbench's "% of the FMA peak" against
 * OpenBLAS's and BLIS's, measured by a harness that calls their Fortran `sgemm_` for
 * row-major products. A harness that passed the operands in the wrong order or transposes
 * would time other work (a square product hides it), so it checks entries of C first; here
 * two stand-in libraries, one right and one that ignores its first transpose flag, show that
 * check passes the first and stops the second on the shape that needs that flag.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBlasPeers, parseLibs, percentCell, runBlasPeer } from '../bench/blas-peers.js';
import { cxxCommand } from '../bench/gemm-model.js';

const [cxx, ...cxxArgs] = cxxCommand();
const hasCxx = spawnSync(cxx, [...cxxArgs, '--version']).status === 0;
const skip = process.arch !== 'x64' ? 'x86-64 only (the AVX2 yardstick)' : !hasCxx ? 'needs a C++ compiler' : false;

/** A column-major reference sgemm_; with `ignoreTransA` it reads its first operand as if never transposed. */
function fakeBlas(ignoreTransA: boolean): string {
  return `
extern "C" void sgemm_(const char* ta, const char* tb, const int* m, const int* n, const int* k, const float* alpha,
                       const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c, const int* ldc) {
  const bool tA = ${ignoreTransA ? 'false' : "*ta == 'T' || *ta == 't'"}, tB = *tb == 'T' || *tb == 't';
  for (int j = 0; j < *n; j++)
    for (int i = 0; i < *m; i++) {
      double s = 0;
      for (int p = 0; p < *k; p++) s += (double)(tA ? a[i * *lda + p] : a[p * *lda + i]) * (tB ? b[p * *ldb + j] : b[j * *ldb + p]);
      c[j * *ldc + i] = *alpha * (float)s + (*beta == 0 ? 0 : *beta * c[j * *ldc + i]);
    }
}`;
}

describe('bench/blas-peers', () => {
  it('parses --lib NAME=PATH and rejects anything else by name', () => {
    assert.deepEqual(parseLibs(['mkl=/opt/x/libmkl_rt.so', 'a=b=c']), [
      { name: 'mkl', path: '/opt/x/libmkl_rt.so' },
      { name: 'a', path: 'b=c' },
    ]);
    assert.throws(() => parseLibs(['/usr/lib/libblas.so']), /--lib: "\/usr\/lib\/libblas.so" is not NAME=PATH/);
    assert.throws(() => parseLibs(['name=']), /is not NAME=PATH/);
  });

  it('prints a share of the peak as median (min-max) in percent', () => {
    assert.equal(percentCell([0.8, 0.7, 0.9]), '80 (70-90)');
  });

  it('times a library that computes the products right, and stops one that does not', { skip, timeout: 180_000 }, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lipbench-blas-test-'));
    try {
      const exe = buildBlasPeers(dir);
      const libs = (['good', 'bad'] as const).map((name) => {
        const src = path.join(dir, `${name}.cc`), so = path.join(dir, `lib${name}.so`);
        writeFileSync(src, fakeBlas(name === 'bad'));
        const cc = spawnSync(cxx, [...cxxArgs, '-O2', '-shared', '-fPIC', '-o', so, src], { encoding: 'utf8' });
        assert.equal(cc.status, 0, cc.stderr);
        return { name, path: so };
      });
      // Non-square, so that a swapped operand or a lost transpose lands on different entries.
      const shapes = [
        { m: 7, k: 5, n: 3, ta: false, tb: false },
        { m: 6, k: 4, n: 9, ta: false, tb: true },
        { m: 5, k: 8, n: 4, ta: true, tb: false },
      ];
      const run = runBlasPeer(exe, libs[0], 1, 2, shapes);
      assert.equal(run.rows.length, 3);
      run.rows.forEach((r, i) => {
        assert.deepEqual(r.shape, shapes[i]);
        assert.equal(r.gflops.length, 2);
        for (const x of [...r.gflops, ...r.ratios]) assert.ok(Number.isFinite(x) && x > 0, `sample ${x}`);
      });
      // The column-major call passes lipbench's B as the library's first operand, so the
      // library's first flag is lipbench's tB: only the second shape can catch the bad one.
      assert.throws(() => runBlasPeer(exe, libs[1], 1, 1, shapes), /bad \(.*libbad\.so\): blas-peers: .*6x4 \. 4x9 \(ta 0, tb 1\): C\[\d+\]\[\d+\] = .*, expected/);
      assert.doesNotThrow(() => runBlasPeer(exe, libs[1], 1, 1, [shapes[0], shapes[2]]));
      assert.throws(() => runBlasPeer(exe, { name: 'none', path: path.join(dir, 'missing.so') }, 1, 1, shapes), /none \(.*missing\.so\): blas-peers: .*missing\.so/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
