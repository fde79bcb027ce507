/**
 * Serves benchmark workloads under one backend configuration. Kernel registration is global
 * and permanent per process, so bench.ts starts one child per configuration and keeps it
 * for the whole run. The child prints `READY` once its backend is up; bench.ts then sends one `{"workload","reps"}` JSON line per measurement on stdin,
 * and the child answers with one `RESULT <json>` line on stdout. A workload is set up and
 * warmed up when first asked for and torn down when another one is; closing stdin ends
 * the child. bench/peer_torch.py speaks the same protocol.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's node bundle registers no gradients; the tfjs-layers bundle does.
import '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { initBackend } from '../src/node/backend.js';
import { makeWorkloads, type Workload, type WorkloadParams } from './workloads.js';

import { median, REWARM, type Config } from './common.js';

export type { Config } from './common.js';

/** What a child is started with (its one argument, as JSON). */
export interface ChildRequest {
  readonly config: Config;
  readonly params: WorkloadParams;
  readonly warmup: Record<string, number>;
}

/** One measurement asked of a child (one stdin line). */
export interface ChildCommand {
  readonly workload: string;
  readonly reps: number;
}

export interface BenchResult {
  readonly workload: string;
  readonly backend: string;
  readonly medianMs: number;
  readonly gflops?: number;
  readonly reps: number;
  readonly description: string;
  readonly error?: string;
}

async function init(config: Config): Promise<void> {
  if (config === 'wasm') {
    // Stock wasm: same loading as src/node/backend.ts but without registerWasmKernels().
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialize');
    await tf.ready();
    return;
  }
  const info = await initBackend(config === 'cpu' ? 'cpu' : config === 'wasm+native' ? 'wasm+native' : 'wasm');
  if (info.name !== config) throw new Error(`asked for ${config}, got ${info.name}`);
}

async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2] ?? '') as ChildRequest;
  await init(req.config);
  const all = makeWorkloads(req.params);
  process.stdout.write('READY\n');
  let current: Workload | undefined;
  let setupError: string | undefined;
  const result = (w: Workload | undefined, id: string, medianMs: number, reps: number, error?: string): BenchResult => ({
    workload: id, backend: req.config, medianMs, reps, description: w?.description ?? '', error,
    gflops: w?.flops && !error ? w.flops / medianMs / 1e6 : undefined,
  });
  const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];
  const measure = (cmd: ChildCommand): BenchResult => {
    const w = all.find((x) => x.id === cmd.workload);
    if (!w) return result(undefined, cmd.workload, NaN, 0, `no workload ${cmd.workload}`);
    if (!(Number.isInteger(cmd.reps) && cmd.reps >= 1)) return result(w, w.id, NaN, 0, 'reps must be at least 1');
    const warmup = req.warmup[w.id] ?? 1;
    // A workload just set up gets its full warm-up; one measured again gets a short one,
    // since the process sat idle while the peer ran (caches and the clock are cold).
    let warm = Math.min(REWARM, warmup);
    if (current !== w) {
      current?.teardown();
      current = w;
      setupError = undefined;
      warm = warmup;
      try {
        w.setup();
      } catch (e) {
        setupError = message(e);
      }
    }
    if (setupError !== undefined) return result(w, w.id, NaN, 0, setupError);
    try {
      for (let i = 0; i < warm; i++) w.run();
      const times: number[] = [];
      for (let i = 0; i < cmd.reps; i++) {
        const t0 = performance.now();
        w.run();
        times.push(performance.now() - t0);
      }
      return result(w, w.id, median(times), cmd.reps);
    } catch (e) {
      return result(w, w.id, NaN, 0, message(e));
    }
  };
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === '') continue;
    process.stdout.write(`RESULT ${JSON.stringify(measure(JSON.parse(line) as ChildCommand))}\n`);
  }
  current?.teardown();
}

await main();
