#!/usr/bin/env node
/**
 * Builds the optional native addon native/build/lipbench_native.node with the system C++
 * compiler. It never fails an install: without a compiler, Node-API headers, an x86-64 CPU
 * with AVX2, or when the compile fails, it prints one line and exits 0, and lipbench runs
 * on pure wasm. No -march=native: the micro-kernels pick AVX-512/AVX2 at run time.
 *
 *   node native/build.mjs            build (skips when the .node is newer than the source)
 *   node native/build.mjs --force    rebuild
 *   LIPBENCH_NATIVE_BUILD=0          skip the build entirely
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, 'lipbench_native.cc');
const outDir = path.join(here, 'build');
const out = path.join(outDir, 'lipbench_native.node');
const force = process.argv.includes('--force');

function skip(why) {
  console.log(`lipbench native addon: not built (${why}); using the pure-wasm kernels`);
  process.exit(0);
}

function hasAvx2() {
  if (process.arch !== 'x64') return false;
  try {
    return /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false; // not Linux: no cheap way to ask, and the addon is Linux-tested only
  }
}

function headerDir() {
  const candidates = [
    process.env.LIPBENCH_NODE_INCLUDE,
    path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
    '/usr/local/include/node',
    '/usr/include/node',
  ].filter(Boolean);
  return candidates.find((d) => existsSync(path.join(d, 'node_api.h')));
}

function main() {
  if (process.env.LIPBENCH_NATIVE_BUILD === '0') skip('LIPBENCH_NATIVE_BUILD=0');
  if (!hasAvx2()) skip('needs an x86-64 CPU with AVX2');
  if (!force && existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) {
    console.log(`lipbench native addon: up to date (${path.relative(process.cwd(), out)})`);
    return;
  }
  const include = headerDir();
  if (!include) skip('Node-API headers (node_api.h) not found');
  const cxx = process.env.CXX || 'c++';
  const probe = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) skip(`no C++ compiler (${cxx})`);

  mkdirSync(outDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const args = [
    '-O3', '-std=c++17', '-shared', '-fPIC', '-fvisibility=hidden', '-pthread',
    '-fno-math-errno', '-Wall', '-Wno-unused-function',
    `-I${include}`, src, '-o', tmp,
  ];
  const r = spawnSync(cxx, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    const first = `${r.error?.message ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => /error/i.test(l)) ?? `exit ${r.status}`;
    skip(`compile failed: ${first.trim().slice(0, 200)}`);
  }
  renameSync(tmp, out);
  console.log(`lipbench native addon: built ${path.relative(process.cwd(), out)}`);
}

try {
  main();
} catch (e) {
  skip(`build script error: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
}
