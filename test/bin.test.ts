/**
 * `npx lipbench` (bin/lipbench.js) loads a user's .ts experiment from any folder, run
 * from any folder, and shows the user's own error when the file throws at import.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from './helpers/cli.js';

const BIN = path.join(ROOT, 'bin', 'lipbench.js');
// Neither folder has a package.json, so Node would treat a .ts file there as CommonJS.
const elsewhere = tempDir('lipbench-elsewhere-');
const cwd = tempDir('lipbench-cwd-');

function bin(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, LIPBENCH_DEBUG: '' } });
}

test('a .ts experiment outside the checkout loads through the bin (validation reaches its fields)', () => {
  const file = path.join(elsewhere, 'my-grid.ts');
  // TypeScript-only syntax, an ESM export; epochs 0 so that loading is all that runs.
  fs.writeFileSync(
    file,
    `type Grid = Record<string, unknown>;\nconst epochs: number = 0;\nexport const experiment: Grid = { name: 'my-grid', models: [{ kind: 'mlp', hidden: [8] }], methods: [{ name: 'none' }], train: { epochs } };\n`,
  );
  const r = bin(['run', file, '-o', path.join(cwd, 'results')]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^lipbench: \S*my-grid\.ts: train\.epochs: epochs must be at least 1\n$/);
});

test("an exception thrown at import is shown as the user's own error", () => {
  const file = path.join(elsewhere, 'boom.ts');
  fs.writeFileSync(file, `const what: string = 'boom at import';\nthrow new Error(what);\nexport const experiment = {};\n`);
  const r = bin(['run', file, '-o', path.join(cwd, 'results')]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim(), `lipbench: ${file}: cannot load (boom at import)`);
});
