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
import { asWasmBackend } from './wasm-backend.js';

const identity: KernelFunc = ({ inputs, backend }) => {
  const wb = asWasmBackend(backend);
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype === 'string') return runStock(Identity, wb, { x });
  wb.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identity,
};
