/**
 * The committed lock is the one npm writes (so `npm install` on a fresh clone leaves it
 * unchanged), and no locked package needs a newer Node than package.json promises.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/cli.js';

interface Manifest {
  scripts?: Record<string, string>;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
interface Lock {
  packages: Record<string, Manifest & { hasInstallScript?: boolean; version?: string }>;
}

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as Lock;

test('the lock root matches package.json as npm writes it (dependencies, install script flag)', () => {
  const root = lock.packages['']!;
  assert.deepEqual(root.dependencies, pkg.dependencies);
  assert.deepEqual(root.devDependencies, pkg.devDependencies);
  assert.deepEqual(root.optionalDependencies, pkg.optionalDependencies);
  // npm records `hasInstallScript: true` for a root with an install script; without it
  // in the committed lock, every `npm install` rewrote the file.
  assert.equal(root.hasInstallScript === true, pkg.scripts?.['install'] !== undefined);
  for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
    assert.equal(lock.packages[`node_modules/${name}`]?.version, version, `${name} locked at the pinned version`);
  }
});

test('no locked package requires a newer Node than package.json engines', () => {
  const min = /^>=\s*(\d+)/.exec(pkg.engines?.node ?? '');
  assert.ok(min, `package.json engines.node should be ">=N", is ${pkg.engines?.node}`);
  const ours = Number(min[1]);
  const tooNew = Object.entries(lock.packages)
    .map(([where, p]) => [where, p.engines?.node] as const)
    .filter((e): e is readonly [string, string] => typeof e[1] === 'string' && /^>=\s*\d+(\.\d+)*$/.test(e[1].trim()))
    .filter(([, spec]) => Number(/\d+/.exec(spec)![0]) > ours);
  assert.deepEqual(tooNew, [], `packages needing Node > ${ours}`);
});
