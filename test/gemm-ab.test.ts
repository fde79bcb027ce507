/**
 * bench/gemm-ab.ts: docs/performance.md's interleaved A/B figures for GEMM changes are taken with
 * it, so its shape list must read as documented and bad input must stop it with one line.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseShapes } from '../bench/gemm-ab.js';

describe('bench/gemm-ab', () => {
  it('reads m,k,n[,ta[,tb]] entries separated by semicolons', () => {
    assert.deepEqual(parseShapes('128,784,512;784,128,512,1,0; 128,512,784,0,1;'), [
      { m: 128, k: 784, n: 512, ta: false, tb: false },
      { m: 784, k: 128, n: 512, ta: true, tb: false },
      { m: 128, k: 512, n: 784, ta: false, tb: true },
    ]);
  });

  it('names the entry it cannot read', () => {
    for (const bad of ['1,2', '0,4,4', '4,4,4,2', '4,4,4,0,0,0', '4,x,4', '4.5,4,4']) {
      assert.throws(() => parseShapes(bad), (e: Error) => e.message.includes(`"${bad}"`), bad);
    }
  });

  it('exits 2 with one line on a bad command line', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/gemm-ab.ts', 'only-one.node'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^gemm-ab: usage:/);
  });
});
