/**
 * bench/blas-peers.ts: docs/performance.md weighs lipbench's "% of the FMA peak" against
 * OpenBLAS's and BLIS's, measured by a harness that calls their Fortran `sgemm_` for
 * row-major products. A harness that passed the operands in the wrong order or transposes
 * would time other work (a square product hides it). Stand-in libraries show that it passes
 * the arguments the mapping calls for (logged by a right one), and that its check of C stops
 * a library that ignores either transpose flag on the shape that needs it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBlasPeers, cpuFlags, parseLibs, percentCell, runBlasPeer, yardstickProblem } from '../bench/blas-peers.js';
import { cxxCommand } from '../bench/gemm-model.js';

const [cxx, ...cxxArgs] = cxxCommand();
const hasCxx = spawnSync(cxx, [...cxxArgs, '--version']).status === 0;
const flags = cpuFlags();
const skip = process.arch !== 'x64' || !flags.has('avx2') || !flags.has('fma') ? 'needs an x86-64 CPU with AVX2 and FMA (the yardstick)' : !hasCxx ? 'needs a C++ compiler' : false;

/**
 * A column-major reference sgemm_. `ignore` drops one transpose flag (the library's first or
 * second); the right one appends each new argument list to the file in BLAS_PEERS_LOG, so
 * that the test can hold the harness's calls against the row-major mapping it should use
 * (the harness's own check of C shares that mapping, so it cannot catch a mistake in it).
 */
function fakeBlas(ignore: 'none' | 'first' | 'second'): string {
  return `
#include <cstdio>
#include <cstdlib>
#include <cstring>
static char last[256];
extern "C" void sgemm_(const char* ta, const char* tb, const int* m, const int* n, const int* k, const float* alpha,
                       const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c, const int* ldc) {
  const bool tA = ${ignore === 'first' ? 'false' : "*ta == 'T' || *ta == 't'"}, tB = ${ignore === 'second' ? 'false' : "*tb == 'T' || *tb == 't'"};
  char args[256];
  snprintf(args, sizeof args, "%c %c %d %d %d %d %d %d\\n", *ta, *tb, *m, *n, *k, *lda, *ldb, *ldc);
  if (const char* log = getenv("BLAS_PEERS_LOG"); log && strcmp(args, last) != 0) {
    strcpy(last, args);
    if (FILE* f = fopen(log, "a")) { fputs(args, f); fclose(f); }
  }
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

  it('calls sgemm_ as the row-major mapping says, times a right library, and stops a wrong one', { skip, timeout: 180_000 }, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lipbench-blas-test-'));
    const log = path.join(dir, 'calls.txt');
    const saved = process.env.BLAS_PEERS_LOG;
    try {
      const exe = buildBlasPeers(dir);
      const libs = (['none', 'first', 'second'] as const).map((ignore) => {
        const src = path.join(dir, `${ignore}.cc`), so = path.join(dir, `lib${ignore}.so`);
        writeFileSync(src, fakeBlas(ignore));
        const cc = spawnSync(cxx, [...cxxArgs, '-O2', '-std=c++17', '-shared', '-fPIC', '-o', so, src], { encoding: 'utf8' });
        assert.equal(cc.status, 0, cc.stderr);
        return { name: `ignores-${ignore}`, path: so };
      });
      // Non-square, every pair of transposes, so that a swapped operand or a lost transpose
      // lands on different entries.
      const shapes = [
        { m: 7, k: 5, n: 3, ta: false, tb: false },
        { m: 6, k: 4, n: 9, ta: false, tb: true },
        { m: 5, k: 8, n: 4, ta: true, tb: false },
        { m: 3, k: 6, n: 5, ta: true, tb: true },
      ];
      process.env.BLAS_PEERS_LOG = log;
      const run = runBlasPeer(exe, libs[0], 1, 2, shapes);
      // Row-major C (m x n) = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: the library's
      // M is n, its N is m; B (k x n, or n x k when tb) goes first with ld n (k); A (m x k,
      // or k x m when ta) second with ld k (m); C's ld is n.
      const expected = shapes.map((x) => `${x.tb ? 'T' : 'N'} ${x.ta ? 'T' : 'N'} ${x.n} ${x.m} ${x.k} ${x.tb ? x.k : x.n} ${x.ta ? x.m : x.k} ${x.n}`);
      assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), expected);
      assert.equal(run.rows.length, 4);
      run.rows.forEach((r, i) => {
        assert.deepEqual(r.shape, shapes[i]);
        assert.equal(r.gflops.length, 2);
        for (const x of [...r.gflops, ...r.ratios]) assert.ok(Number.isFinite(x) && x > 0, `sample ${x}`);
      });
      // The library's first flag is lipbench's tB, its second lipbench's tA: each wrong
      // library is stopped on the first shape that needs its flag, and passes without them.
      assert.throws(() => runBlasPeer(exe, libs[1], 1, 1, shapes), /ignores-first \(.*libfirst\.so\): blas-peers: .*6x4 \. 4x9 \(ta 0, tb 1\): C\[\d+\]\[\d+\] = .*, expected/);
      assert.throws(() => runBlasPeer(exe, libs[2], 1, 1, shapes), /ignores-second \(.*libsecond\.so\): blas-peers: .*5x8 \. 8x4 \(ta 1, tb 0\): C\[\d+\]\[\d+\] = .*, expected/);
      assert.doesNotThrow(() => runBlasPeer(exe, libs[1], 1, 1, [shapes[0], shapes[2]]));
      assert.doesNotThrow(() => runBlasPeer(exe, libs[2], 1, 1, [shapes[0], shapes[1]]));
      assert.throws(() => runBlasPeer(exe, { name: 'none', path: path.join(dir, 'missing.so') }, 1, 1, shapes), /none \(.*missing\.so\): blas-peers: .*missing\.so/);
    } finally {
      if (saved === undefined) delete process.env.BLAS_PEERS_LOG;
      else process.env.BLAS_PEERS_LOG = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a CPU whose peak the AVX2 loop is not', () => {
    const flags = (f: string): Set<string> => cpuFlags(`processor\t: 0\nflags\t\t: ${f}\n\nprocessor\t: 1\nflags\t\t: sse\n`);
    assert.equal(yardstickProblem(flags('fpu sse2 avx avx2 fma bmi2')), undefined);
    assert.match(yardstickProblem(flags('fpu sse2 avx avx2 fma avx512f avx512bw')) ?? '', /not the peak of this AVX-512 CPU/);
    assert.match(yardstickProblem(flags('fpu sse2 avx')) ?? '', /lacks AVX2 or FMA/);
    assert.match(yardstickProblem(cpuFlags('')) ?? '', /lacks AVX2 or FMA/);
  });
});
