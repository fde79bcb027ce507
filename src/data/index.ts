import { z } from 'zod';
import type { Dataset } from './types.js';
import { loadMnist } from './mnist.js';

export type { Dataset, Split } from './types.js';

export const DatasetName = z.enum(['mnist']);
export type DatasetName = z.infer<typeof DatasetName>;

export interface LoadOptions {
  readonly trainSize?: number;
  readonly testSize?: number;
  readonly shuffleSeed?: number;
}

const loaders: Record<DatasetName, (o: LoadOptions) => Dataset | Promise<Dataset>> = {
  mnist: loadMnist,
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
