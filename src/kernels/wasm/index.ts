/**
 * Kernel fixes for the wasm backend. Must run before tf.setBackend('wasm') so the engine
 * runs the (chained) setup functions when it initialises the backend.
 */
import { batchMatMulConfig } from './batch-mat-mul.js';
import { binaryConfigs } from './binary.js';
import { castConfig } from './cast.js';
import { clipByValueConfig } from './clip.js';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { fusedMatMulConfig } from './fused-mat-mul.js';
import { gatherV2Config } from './gather.js';
import { identityConfig } from './identity.js';
import { comparisonConfigs } from './compare.js';
import { wasmMaxMinConfig, wasmMaxMinGradConfig } from './max-min.js';
import { avgPoolGradConfig, maxPoolGradConfig } from './pool-grad.js';
import { wasmAdamUpdateConfig } from './adam-update.js';
import { wasmLinfStepConfig } from './linf-step.js';
import { wasmSoftmaxCEConfig, wasmSoftmaxCEGradConfig } from './softmax-ce.js';
import { overrideKernel, registerMissing } from '../register.js';
import { powConfig } from './pow.js';
import { sliceConfig } from './slice.js';
import { sumConfig } from './sum.js';

let registered = false;

export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  for (const cfg of [batchMatMulConfig, fusedMatMulConfig, conv2DBackpropFilterConfig, conv2DBackpropInputConfig, sumConfig, sliceConfig, powConfig, gatherV2Config, identityConfig, castConfig, clipByValueConfig, maxPoolGradConfig, avgPoolGradConfig, ...comparisonConfigs, ...binaryConfigs]) {
    overrideKernel(cfg);
  }
  // lipbench's own kernels (no stock one to replace).
  registerMissing([wasmMaxMinConfig, wasmMaxMinGradConfig, wasmAdamUpdateConfig, wasmSoftmaxCEConfig, wasmSoftmaxCEGradConfig, wasmLinfStepConfig]);
}
