import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readClaims } from '../src/claims/claims.js';
import { runCli, tempDir } from './helpers/cli.js';

test('seed-claims --quick runs the whole claims pipeline on tiny subsets', () => {
  const out = tempDir('lipbench-claims-');
  const r = runCli(['run', 'seed-claims', '--quick', '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  const dir = path.join(out, 'seed-claims-quick');
  const claims = readClaims(path.join(dir, 'claims.csv'));
  assert.deepEqual(claims.map((c) => c.claim), [1, 2, 3, 4, 5, 6, 7, 8]);
  for (const c of claims) {
    assert.ok(c.rule.length > 20, `claim ${c.claim} states its rule`);
    assert.ok(c.measured.length > 10, `claim ${c.claim} has numbers`);
  }
  // Claim 2 is a theorem about matrices: our measurements must obey it.
  assert.equal(claims[1]!.verdict, 'supported', claims[1]!.measured);
  const report = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
  assert.match(report, /<section id="claims"><h2>Claims<\/h2>/);
  for (const c of claims.filter((x) => x.evidence.startsWith('charts/'))) {
    assert.ok(fs.existsSync(path.join(dir, c.evidence)), `claim ${c.claim} links to ${c.evidence}, which must exist`);
  }
});
