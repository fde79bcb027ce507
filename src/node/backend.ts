/**
 * Backend selection. Order of preference: tfjs-node (native libtensorflow, when it
 * loads), then wasm + lipbench's native addon (GEMM and convolutions in C++ on the wasm
 * heap; built at install time when a compiler is present, LIPBENCH_NATIVE=0 disables it),
 * then wasm with lipbench's kernel fixes, then the cpu backend (with lipbench's
 * elementwise Add/Sub/Multiply/RealDiv, the stock kernels' bits).
 * tfjs-node is an optionalDependency: on machines where its install script cannot
 * download libtensorflow, it simply fails to load and we fall through.
 */
import { installLazyDenseGradients } from '../kernels/lazy-dense-grad.js';
import { installLazyConvGradients } from '../kernels/lazy-conv-grad.js';
import { registerCpuBroadcastKernels } from '../kernels/cpu/broadcast.js';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node bundle registers no gradients; tfjs-layers' import does, and every
// part of lipbench that differentiates relies on them.
import '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';
import { activateNative, type NativeAddon } from '../kernels/native/addon.js';
import { loadNative } from './native-addon.js';

export const BackendChoice = z.enum(['auto', 'tfjs-node', 'wasm', 'cpu', 'wasm+native']);
export type BackendChoice = z.infer<typeof BackendChoice>;

export interface BackendInfo {
  /** The name recorded in results: tfjs-node, wasm+native, wasm+lipbench, wasm or cpu. */
  readonly name: string;
  /** tfjs' own backend name (tensorflow, wasm, cpu). */
  readonly tfBackend: string;
  /**
   * Threads of the compute kernels: the native addon's pool on wasm+native, 1 on wasm and
   * cpu (single-threaded builds), null on tfjs-node (TensorFlow sizes its own pools).
   */
  readonly threads: number | null;
  /** Why the preferred backends were skipped, one line each. */
  readonly notes: readonly string[];
}

// PROD only silences tfjs' console advice (the "install tfjs-node" banner on the cpu
// backend's first tensor); lipbench reports the backend choice and its reasons itself,
// in one line. Set at import, so a tensor made before initBackend cannot print it either.
tf.env().set('PROD', true);

const require = createRequire(import.meta.url);
let current: BackendInfo | undefined;

export const TFJS_NODE_MISSING = 'the optional native TensorFlow, @tensorflow/tfjs-node, is not installed';

/** One line for the log: the backend, and why faster ones were skipped. */
export function backendLine(info: BackendInfo): string {
  return `backend: ${info.name}${info.notes.length > 0 ? ` (${info.notes.join('; ')})` : ''}`;
}

async function tryTfjsNode(): Promise<string | undefined> {
  try {
    // A computed specifier keeps bundlers and tsc from insisting the optional package exists.
    const spec = '@tensorflow/tfjs-node';
    await import(spec);
    if (!(await tf.setBackend('tensorflow'))) return 'tfjs-node loaded but its backend failed to initialize';
    return undefined;
  } catch (e) {
    // Not installed is the normal case (an optionalDependency whose download failed or
    // was skipped): say so plainly rather than quoting the resolver's error.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return TFJS_NODE_MISSING;
    return `tfjs-node unavailable (${(e as Error).message.split('\n')[0]})`;
  }
}

async function tryWasm(withKernels: boolean, native?: NativeAddon): Promise<string | undefined> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const wasmFile = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
    wasm.setWasmPaths(path.dirname(wasmFile) + path.sep);
    if (native) {
      const { registerNativeKernels } = await import('../kernels/native/index.js');
      registerNativeKernels(native);
    } else if (withKernels) {
      const { registerWasmKernels } = await import('../kernels/wasm/index.js');
      registerWasmKernels();
    }
    // Emscripten installs process-wide handlers that rethrow every uncaught error
    // and print the whole minified module source with it; drop them once it is up.
    const before = {
      uncaughtException: new Set(process.listeners('uncaughtException')),
      unhandledRejection: new Set(process.listeners('unhandledRejection')),
    };
    const ok = await tf.setBackend('wasm');
    for (const l of process.listeners('uncaughtException')) if (!before.uncaughtException.has(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection')) if (!before.unhandledRejection.has(l)) process.removeListener('unhandledRejection', l);
    if (!ok) return 'wasm backend failed to initialize';
    return undefined;
  } catch (e) {
    return `wasm unavailable (${(e as Error).message.split('\n')[0]})`;
  }
}

/**
 * Initialise a backend once per process. `auto` walks the preference order; a forced
 * choice fails loudly instead of silently falling back, so results never record a
 * backend the user did not ask for.
 */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (current) {
    if (choice !== 'auto' && !current.name.startsWith(choice)) {
      throw new Error(`backend already initialised as ${current.name}; cannot switch to ${choice} in the same process`);
    }
    return current;
  }
  const notes: string[] = [];
  // Dense and conv layers under a gradient tape compute only the gradients asked for (same numbers; kernels/lazy-*-grad.ts).
  installLazyDenseGradients();
  installLazyConvGradients();
  // cpu's Add/Sub/Multiply/RealDiv over a leading-axis broadcast (the attacks' per-example
  // factors) without tfjs-cpu's index-by-index path; the same bits (kernels/cpu/broadcast.ts).
  registerCpuBroadcastKernels();
  if (choice === 'auto' || choice === 'tfjs-node') {
    const why = await tryTfjsNode();
    if (!why) return (current = { name: 'tfjs-node', tfBackend: 'tensorflow', threads: null, notes });
    if (choice === 'tfjs-node') throw new Error(why);
    notes.push(why);
  }
  if (choice === 'auto' || choice === 'wasm+native') {
    const { addon, why: missing } = loadNative();
    const why = addon ? await tryWasm(true, addon) : missing;
    if (!why) {
      await tf.ready();
      return (current = { name: 'wasm+native', tfBackend: 'wasm', threads: addon?.info().threads ?? null, notes });
    }
    if (choice === 'wasm+native') throw new Error(why ?? 'native addon unavailable');
    if (addon) activateNative(undefined);
    notes.push(why ?? 'native addon unavailable');
  }
  if (choice === 'auto' || choice === 'wasm') {
    const why = await tryWasm(true);
    if (!why) {
      await tf.ready();
      return (current = { name: 'wasm+lipbench', tfBackend: 'wasm', threads: 1, notes });
    }
    if (choice === 'wasm') throw new Error(why);
    notes.push(why);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return (current = { name: 'cpu', tfBackend: 'cpu', threads: 1, notes });
}

export function currentBackend(): BackendInfo {
  if (!current) throw new Error('initBackend() has not been called');
  return current;
}
