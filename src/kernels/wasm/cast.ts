/**
 * Cast for wasm: to the tensor's own dtype it shares the buffer (see identity.ts for why
 * that is safe); every real conversion is the stock kernel's. tfjs' ReLU gradient casts
 * its float32 step mask to float32, and the stock kernel copied it every time: on PGD
 * over the default MLP, two 1 MB copies a step.
 */
import { Cast } from '@tensorflow/tfjs-core';
import type { CastAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { runStock } from './stock.js';
import { shareBuffer } from './identity.js';
import { asWasmBackend } from './wasm-backend.js';

const cast: KernelFunc = ({ inputs, backend, attrs }) => {
  const wb = asWasmBackend(backend);
  const { x } = inputs as { x: TensorInfo };
  const { dtype } = attrs as unknown as CastAttrs;
  if (x.dtype !== dtype || dtype === 'string' || dtype === 'complex64') return runStock(Cast, wb, { x }, { dtype });
  return shareBuffer(wb, x);
};

export const castConfig: KernelConfig = { kernelName: Cast, backendName: 'wasm', kernelFunc: cast };
