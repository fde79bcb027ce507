/** Issue 17, item 15: every CSV column is documented, and the run log names the layers. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { TABLES } from '../src/results/rows.js';
import { formatSigmas } from '../src/train/loop.js';
import { ROOT } from './helpers/cli.js';

test('results/README.md documents every column of every CSV', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'results', 'README.md'), 'utf8');
  const missing = Object.entries(TABLES).flatMap(([table, schema]) =>
    Object.keys(schema.shape)
      .filter((c) => !readme.includes(`\`${c}\``))
      .map((c) => `${table}.csv: ${c}`),
  );
  assert.deepEqual(missing, []);
});

test('the per-epoch σ in the run log names each layer', () => {
  assert.equal(formatSigmas([{ layer: 'dense_1', sigma: 3.876 }, { layer: 'dense_2', sigma: 1.861 }]), 'σ dense_1=3.88 dense_2=1.86');
});
