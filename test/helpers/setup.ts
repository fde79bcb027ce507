import { initBackend } from '../../src/node/backend.js';
import { loadMnist } from '../../src/node/mnist.js';
import type { Dataset } from '../../src/data/types.js';

/** Tests use the backend given by LIPBENCH_TEST_BACKEND (default cpu: deterministic, no kernel overrides). */
export async function testBackend(): Promise<string> {
  const choice = (process.env['LIPBENCH_TEST_BACKEND'] ?? 'cpu') as 'cpu' | 'wasm' | 'auto';
  return (await initBackend(choice)).name;
}

let mnistSmall: Dataset | undefined;
/** 2k train / 1k test MNIST images, shared within a test file. */
export function smallMnist(): Dataset {
  mnistSmall ??= loadMnist({ trainSize: 2000, testSize: 1000, shuffleSeed: 7 });
  return mnistSmall;
}
