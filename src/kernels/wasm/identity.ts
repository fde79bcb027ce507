/**
 * Identity for wasm that shares the input's buffer (a reference count), as the cpu backend
 * and wasm's own Reshape do. The stock kernel copies, and the engine runs Identity on every
 * tensor it saves for a gradient (engine.saveTensorsForBackwardMode clones each one): a
 * training step of the default MLP copied every kernel and activation once more for
 * nothing. Sharing is safe because no wasm kernel writes into its inputs; variables change
 * by swapping buffers (Variable.assign), not by writing into them.
 */
import { Identity } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { runStock } from './stock.js';
import { asWasmBackend, type WasmBackend } from './wasm-backend.js';

/** x's buffer as a new tensor: one more reference to it, no copy. */
export function shareBuffer(wb: WasmBackend, x: TensorInfo): TensorInfo {
  wb.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const identity: KernelFunc = ({ inputs, backend }) => {
  const wb = asWasmBackend(backend);
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype === 'string') return runStock(Identity, wb, { x });
  return shareBuffer(wb, x);
};

export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identity,
};
