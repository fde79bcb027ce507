/** `train` of the public API (src/index.ts): the training loop that applies regularizers, and evaluation. */
export { trainModel, type EpochMetrics, type TrainControl, type TrainResult } from '../train/loop.js';
export { evaluate, type SplitMetrics } from '../train/evaluate.js';
export { createOptimizer } from '../train/optimizer.js';
export { OptimizerSpec, TrainOptions } from '../train/options.js';
