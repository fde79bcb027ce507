/**
 * For tests that run one computation on cpu, on wasm with lipbench's JavaScript kernels
 * (no addon) and on wasm+native, switching between them in one process: the kernels are
 * registered once, and the addon is activated or not per mode.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { activateNative, registerNativeKernels } from '../../src/kernels/native/index.js';
import { registerWasmKernels } from '../../src/kernels/wasm/index.js';
import { loadNative } from '../../src/node/native-addon.js';
import { getAddon, nativeSkip } from './native.js';

export type Mode = 'cpu' | 'wasm' | 'wasm+native';

/** The modes this machine can run (wasm+native only when the addon is built, or under CI). */
export const MODES: readonly Mode[] = ['cpu', 'wasm', ...(nativeSkip ? [] : (['wasm+native'] as const))];

/** Registers the wasm kernels (with the addon's when it loads); call once, in `before`. */
export function setupModes(): void {
  tf.env().set('PROD', true);
  const require = createRequire(import.meta.url);
  tfwasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
  const native = loadNative().addon;
  if (native) registerNativeKernels(native);
  else registerWasmKernels();
}

export async function useMode(mode: Mode): Promise<void> {
  if (mode === 'cpu') {
    await tf.setBackend('cpu');
    return;
  }
  activateNative(mode === 'wasm+native' ? getAddon() : undefined);
  await tf.setBackend('wasm');
}
