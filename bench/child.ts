/**
 * Runs benchmark workloads under one backend configuration. Kernel registration is global
 * and permanent per process, so bench.ts starts one child per configuration.
 * Prints one `RESULT <json>` line per workload on stdout.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's node bundle registers no gradients; the tfjs-layers bundle does.
import '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import path from 'node:path';
import { initBackend } from '../src/node/backend.js';
import { makeWorkloads, type WorkloadParams } from './workloads.js';

import { median, type Config } from './common.js';

export type { Config } from './common.js';

export interface ChildRequest {
  readonly config: Config;
  readonly workloads: string[];
  readonly params: WorkloadParams;
  readonly reps: Record<string, number>;
  readonly warmup: Record<string, number>;
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
  for (const w of makeWorkloads(req.params).filter((x) => req.workloads.includes(x.id))) {
    const reps = req.reps[w.id] ?? 5;
    let result: BenchResult;
    try {
      w.setup();
      for (let i = 0; i < (req.warmup[w.id] ?? 1); i++) w.run();
      const times: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        w.run();
        times.push(performance.now() - t0);
      }
      const medianMs = median(times);
      result = {
        workload: w.id, backend: req.config, medianMs, reps, description: w.description,
        gflops: w.flops ? w.flops / medianMs / 1e6 : undefined,
      };
    } catch (e) {
      result = { workload: w.id, backend: req.config, medianMs: NaN, reps: 0, description: w.description, error: (e as Error).message.split('\n')[0] };
    } finally {
      w.teardown();
    }
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  }
}

await main();
