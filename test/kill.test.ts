/**
 * SIGKILL a real grid at six moments (training, attacks, Lipschitz bounds, the CSV
 * rebuild, random) and resume each time: after every kill the CSVs hold one row per
 * run and no partial row, every attack row belongs to a finished run, and the final
 * CSVs equal an uninterrupted run's apart from timing columns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseTable, readTables } from '../src/results/csv.js';
import { TABLES } from '../src/results/rows.js';
import { runCli, spawnCli, tempDir, writeTinyExperiment } from './helpers/cli.js';

const BACKEND = ['--backend', 'cpu', '--no-charts', '--no-progress'];
const TIMING = new Set(['seconds', 'trainSeconds']);

/**
 * The moments: the n-th stdout line matching `after` in that process (n = 2: the
 * process has finished a run and rebuilt the CSVs first, so there is something to
 * lose), then a random extra delay. Each process resumes the grid, so every kill
 * lands on later runs.
 */
const TRAINED_OR_LOADED = /epoch 1\/1|re-evaluating/g;
const MOMENTS: { stage: string; after: RegExp; nth: number; maxDelayMs: number }[] = [
  { stage: 'training', after: /^backend: /gm, nth: 1, maxDelayMs: 400 },
  { stage: 'attacks', after: TRAINED_OR_LOADED, nth: 2, maxDelayMs: 20 },
  { stage: 'lipschitz', after: /fgsm ε=0\.1: robust/g, nth: 2, maxDelayMs: 20 },
  { stage: 'rebuild', after: /: test acc /g, nth: 2, maxDelayMs: 2 },
  // Anywhere in the next run (or the one after): bounded so that a fast machine cannot
  // finish the grid before the kill.
  { stage: 'random', after: TRAINED_OR_LOADED, nth: 1, maxDelayMs: 300 },
  { stage: 'rebuild', after: /: test acc /g, nth: 1, maxDelayMs: 0 },
];

function tables(dir: string) {
  const t = readTables(dir);
  const strip = (rows: readonly object[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING.has(k))));
  return { results: strip(t.results), attacks: strip(t.attacks), layers: strip(t.layers), epochs: strip(t.epochs), failures: t.failures.length };
}

/** Invariants that hold at any moment, read from the raw files (no reader-side filtering). */
function checkAfterKill(exp: string, label: string): number {
  if (!fs.existsSync(path.join(exp, 'results.csv'))) return 0;
  const raw = (name: 'results' | 'attacks') => parseTable(name, fs.readFileSync(path.join(exp, `${name}.csv`), 'utf8'), TABLES[name]);
  const results = raw('results'); // parseTable rejects a row with missing fields
  const ids = results.map((r) => r.runId);
  assert.equal(new Set(ids).size, ids.length, `${label}: a run has two rows`);
  for (const a of raw('attacks')) {
    // results.csv is renamed last, so the only other allowed state is a finished run
    // whose results.csv rename was cut off; its record is on disk.
    const ok = ids.includes(a.runId) || fs.existsSync(path.join(exp, 'runs', a.runId, 'record.json'));
    assert.ok(ok, `${label}: attack row of run ${a.runId} has no result`);
  }
  return ids.length;
}

test('SIGKILL at six moments loses nothing, duplicates nothing, and ends equal to an uninterrupted run', async () => {
  const dir = tempDir('lipbench-kill6-');
  const cfg = writeTinyExperiment(dir, 'kill6', { methods: [{ name: 'none' }, { name: 'l2', lambda: [1e-4, 1e-3] }], seeds: [0, 1] });
  const ref = runCli(['run', cfg, '-o', path.join(dir, 'ref'), ...BACKEND]);
  assert.equal(ref.status, 0, ref.stderr);

  const out = path.join(dir, 'killed');
  const exp = path.join(out, 'kill6');
  const log: string[] = [];
  let kills = 0;
  for (const [i, m] of MOMENTS.entries()) {
    const child = spawnCli(['run', cfg, '-o', out, ...BACKEND]);
    let stdout = '';
    const delay = Math.floor(Math.random() * (m.maxDelayMs + 1));
    const killed = await new Promise<boolean>((resolve) => {
      let armed = false;
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (!armed && (stdout.match(m.after)?.length ?? 0) >= m.nth) {
          armed = true;
          setTimeout(() => resolve(child.kill('SIGKILL')), delay);
        }
      });
      child.on('exit', () => resolve(false));
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.on('exit', r)));
    if (killed && child.signalCode === 'SIGKILL') kills++;
    const done = checkAfterKill(exp, `kill ${i + 1} (${m.stage})`);
    log.push(`${m.stage}+${delay}ms: ${child.signalCode === 'SIGKILL' ? 'killed' : 'finished'}, ${done} runs in results.csv`);
  }
  console.log(`kills: ${log.join('; ')}`);
  assert.ok(kills >= 5, `only ${kills} kills landed: ${log.join('; ')}`);

  const resumed = runCli(['run', cfg, '-o', out, ...BACKEND]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.ok(!fs.readdirSync(exp, { recursive: true }).some((f) => String(f).endsWith('.tmp')), 'temporaries left behind');
  const a = tables(exp);
  const b = tables(path.join(dir, 'ref', 'kill6'));
  assert.equal(a.results.length, 6);
  assert.equal(a.failures, 0);
  assert.deepEqual(a, b);
});
