/** Names, sizes and shapes of the standard datasets; src/node/datasets.ts reads their files. */
import { z } from 'zod';
import type { Dataset } from './types.js';

export type { Dataset, Split } from './types.js';

export const DatasetName = z.enum(['mnist', 'fashion-mnist', 'cifar10']);
export type DatasetName = z.infer<typeof DatasetName>;

/** Examples in each dataset's standard files: the most any subset size may ask for. */
export const DATASET_SIZES: Record<DatasetName, { readonly train: number; readonly test: number }> = {
  mnist: { train: 60000, test: 10000 },
  'fashion-mnist': { train: 60000, test: 10000 },
  cifar10: { train: 50000, test: 10000 },
};

export function disposeDataset(d: Dataset): void {
  d.train.x.dispose();
  d.train.y.dispose();
  d.test.x.dispose();
  d.test.y.dispose();
}

/** What a model for each dataset takes and returns, known before any file is read. */
export const DATASET_SHAPES: Record<DatasetName, { readonly imageShape: readonly [number, number, number]; readonly numClasses: number }> = {
  mnist: { imageShape: [28, 28, 1], numClasses: 10 },
  'fashion-mnist': { imageShape: [28, 28, 1], numClasses: 10 },
  cifar10: { imageShape: [32, 32, 3], numClasses: 10 },
};

/**
 * ε lists used when an attack in a config gives none: the budgets each dataset is
 * usually evaluated at (MNIST 0.1/0.3 L∞ after Madry et al.; CIFAR-10 2, 4, 8/255).
 * PGD's default step size (2.5·ε/steps) scales with ε, so steps match too.
 */
export const DEFAULT_EPSILONS: Record<DatasetName, { readonly linf: readonly number[]; readonly l2: readonly number[] }> = {
  mnist: { linf: [0, 0.1, 0.3], l2: [0, 1, 2, 3] },
  'fashion-mnist': { linf: [0, 0.05, 0.1, 0.2], l2: [0, 0.5, 1, 2] },
  cifar10: { linf: [0, 2 / 255, 4 / 255, 8 / 255], l2: [0, 0.25, 0.5, 1] },
};
