/**
 * Issue 21's fair peer, on a VM whose speed drifts: the bench measures each workload on
 * every side in turn, round after round, through long-lived servers (bench/child.ts,
 * bench/peer_torch.py), and reports the median of each round's ratio.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { aggregateRounds, pairedRatios, ratioKey, Server } from '../bench/bench.js';
import type { BenchResult, ChildRequest } from '../bench/child.js';
import { ROOT } from './helpers/cli.js';

const r = (backend: string, workload: string, medianMs: number, extra: Partial<BenchResult> = {}): BenchResult => ({
  workload, backend, medianMs, reps: 5, description: '', ...extra,
});
const isPeer = (x: BenchResult): boolean => x.backend.startsWith('torch');

test('paired ratios: the median of each round\'s ratio, not the ratio of the medians', () => {
  // The machine slows down in round 2 for both sides and speeds up in round 3.
  const rounds = [
    [r('wasm+native', 'W1', 4), r('torch-2t', 'W1', 10)],
    [r('torch-2t', 'W1', 50), r('wasm+native', 'W1', 12)],
    [r('wasm+native', 'W1', 30), r('torch-2t', 'W1', 20)],
  ];
  const q = pairedRatios(rounds, isPeer).get(ratioKey({ backend: 'wasm+native', workload: 'W1' }));
  assert.ok(q);
  assert.equal(q.median, 0.4); // rounds: 0.4, 0.24, 1.5
  assert.equal(q.min, 0.24);
  assert.equal(q.max, 1.5);
  assert.equal(q.rounds, 3);
  const times = aggregateRounds(rounds);
  assert.equal(times[0].medianMs / times[1].medianMs, 0.6); // what the unpaired ratio said
  assert.equal(pairedRatios(rounds, isPeer).get(ratioKey({ backend: 'torch-2t', workload: 'W1' }))?.median, 1);
});

test('paired ratios: a round where either side failed is left out; no peer, no ratio', () => {
  const rounds = [
    [r('wasm', 'W2', 8), r('torch-2t', 'W2', NaN, { error: 'oom' })],
    [r('wasm', 'W2', NaN, { error: 'no kernel' }), r('torch-2t', 'W2', 4)],
    [r('wasm', 'W2', 6), r('torch-2t', 'W2', 4)],
    [r('wasm', 'W5', 6)],
  ];
  const q = pairedRatios(rounds, isPeer);
  assert.deepEqual(q.get(ratioKey({ backend: 'wasm', workload: 'W2' })), { median: 1.5, min: 1.5, max: 1.5, rounds: 1 });
  assert.equal(q.get(ratioKey({ backend: 'wasm', workload: 'W5' })), undefined);
});

const params = { batch: 8, pgdInputs: 4, pgdSteps: 2, pgdChunk: 4, powerIters: 2, matmulSize: 32 };
const warmup = { W1: 3, W5: 1 };

/** Speaks the servers' protocol by hand: READY, then one RESULT line per command line. */
async function converse(cmd: string, args: string[]): Promise<{ lines: string[]; code: number | null }> {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buf = '';
  const commands = [{ workload: 'W5', reps: 3 }, { workload: 'W5', reps: 2 }, { workload: 'W9', reps: 1 }, { workload: 'W5', reps: 0 }, { workload: 'W1', reps: 2 }];
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      // One command at a time, as bench.ts sends them: the next only after an answer.
      const next = commands.shift();
      if (next) child.stdin.write(`${JSON.stringify(next)}\n`);
      else child.stdin.end();
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { lines, code };
}

function checkConversation(lines: string[], code: number | null): void {
  assert.equal(code, 0);
  assert.equal(lines[0], 'READY');
  const results = lines.slice(1).filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)) as BenchResult);
  // A failed measurement is one error result; the server goes on serving.
  assert.deepEqual(results.map((x) => [x.workload, x.reps]), [['W5', 3], ['W5', 2], ['W9', 0], ['W5', 0], ['W1', 2]]);
  assert.match(results[3].error ?? '', /reps must be at least 1/);
  assert.ok(results[3].medianMs === null || Number.isNaN(results[3].medianMs));
  for (const x of [results[0], results[1], results[4]]) {
    assert.equal(x.error, undefined);
    assert.ok(Number.isFinite(x.medianMs) && x.medianMs > 0, `${x.workload}: ${x.medianMs}`);
  }
  assert.match(results[2].error ?? '', /no workload W9/);
  // GFLOP/s for the matMul only: 2·32³ FLOP over the median time.
  assert.ok(Math.abs((results[0].gflops ?? NaN) - (2 * 32 ** 3) / results[0].medianMs / 1e6) < 1e-9);
  assert.equal(results[4].gflops, undefined);
}

test('bench/child.ts serves measurements: READY, one RESULT per command, errors as results, exit on EOF', async () => {
  const req: ChildRequest = { config: 'cpu', params, warmup };
  const { lines, code } = await converse(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'child.ts'), JSON.stringify(req)]);
  checkConversation(lines, code);
});

const torchOk = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

test('bench/peer_torch.py speaks the same protocol', { skip: torchOk ? false : '/usr/bin/python3 cannot import torch' }, async () => {
  const { lines, code } = await converse('/usr/bin/python3', [path.join(ROOT, 'bench', 'peer_torch.py'), JSON.stringify({ params, warmup })]);
  checkConversation(lines, code);
});

test('a server that dies answers every measurement with an error naming it, and closes', async () => {
  const s = new Server('flaky', process.execPath, ['-e', 'process.stdout.write("READY\\n"); process.stderr.write("boom\\n"); process.exit(3)'], process.env);
  await s.ready;
  const a = await s.measure('W1', 5);
  const b = await s.measure('W2', 5);
  for (const [x, w] of [[a, 'W1'], [b, 'W2']] as const) {
    assert.equal(x.workload, w);
    assert.ok(Number.isNaN(x.medianMs));
    assert.match(x.error ?? '', /flaky exited with 3: boom/);
  }
  await s.close();
});

test('a server that never says READY still settles ready when it dies', async () => {
  const s = new Server('broken', process.execPath, ['-e', 'process.exit(1)'], process.env);
  await s.ready;
  assert.match((await s.measure('W5', 1)).error ?? '', /broken exited with 1/);
});

/** A stand-in child: prints READY (unless told not to), then answers each stdin line by `reply(workload, n)`. */
function fakeChild(name: string, reply: string, ready = true, timeouts?: { readyMs: number; measureMs: number }): Server {
  const script = `
    const rl = require('node:readline').createInterface({ input: process.stdin });
    ${ready ? "process.stdout.write('READY\\n');" : ''}
    let n = 0;
    rl.on('line', (l) => { const workload = JSON.parse(l).workload; n++; ${reply} });`;
  return new Server(name, process.execPath, ['-e', script], process.env, timeouts);
}

test('a server\'s failures carry the backend name its results gave (the peer\'s torch-<version>-<n>t), not the server\'s', async () => {
  const s = fakeChild('torch', `if (n === 1) process.stdout.write('RESULT ' + JSON.stringify({ workload, backend: 'torch-9.9-2t', medianMs: 3, reps: 1, description: '' }) + '\\n'); else process.exit(5);`);
  await s.ready;
  assert.equal((await s.measure('W1', 1)).backend, 'torch-9.9-2t');
  const dead = await s.measure('W2', 1);
  assert.equal(dead.backend, 'torch-9.9-2t');
  assert.match(dead.error ?? '', /torch exited with 5/);
  await s.close();
});

test('a server that answers the wrong workload, or unreadable JSON, gives an error result and the bench goes on', async () => {
  const s = fakeChild('odd', `process.stdout.write(n === 1 ? 'RESULT {not json\\n' : 'RESULT ' + JSON.stringify({ workload: 'W9', backend: 'odd', medianMs: 1, reps: 1, description: '' }) + '\\n');`);
  await s.ready;
  assert.match((await s.measure('W1', 1)).error ?? '', /odd sent an unreadable result/);
  assert.match((await s.measure('W2', 1)).error ?? '', /odd answered W9 when asked for W2/);
  await s.close();
});

test('a server that hangs in a measurement, or never says READY, is killed past its deadline', async () => {
  const hung = fakeChild('hung', '', true, { readyMs: 10_000, measureMs: 300 });
  await hung.ready;
  const t0 = performance.now();
  assert.match((await hung.measure('W3', 1)).error ?? '', /hung took over 0.3 s on W3/);
  assert.ok(performance.now() - t0 < 5000);
  assert.match((await hung.measure('W4', 1)).error ?? '', /hung took over 0.3 s on W3/); // dead from then on
  await hung.close();
  const mute = fakeChild('mute', '', false, { readyMs: 300, measureMs: 10_000 });
  await mute.ready;
  assert.match((await mute.measure('W1', 1)).error ?? '', /mute printed no READY in 0.3 s/);
  await mute.close();
});
