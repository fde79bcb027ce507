import { z } from 'zod';
import type { Dataset } from './types.js';
import { loadMnist } from './mnist.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { loadCifar10 } from './cifar10.js';

export type { Dataset, Split } from './types.js';

export const DatasetName = z.enum(['mnist', 'fashion-mnist', 'cifar10']);
export type DatasetName = z.infer<typeof DatasetName>;

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

export function disposeDataset(d: Dataset): void {
  d.train.x.dispose();
  d.train.y.dispose();
  d.test.x.dispose();
  d.test.y.dispose();
}
