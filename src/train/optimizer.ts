import * as tf from '@tensorflow/tfjs-core';
import { FusedAdam } from './fused-adam.js';
import type { OptimizerSpec } from './options.js';

export function createOptimizer(spec: OptimizerSpec): tf.Optimizer {
  switch (spec.name) {
    case 'sgd':
      return tf.train.sgd(spec.learningRate);
    case 'momentum':
      return tf.train.momentum(spec.learningRate, spec.momentum, spec.nesterov);
    case 'adam':
      // tfjs' Adam with one fused kernel per variable where the backend has it; same results bit for bit.
      return new FusedAdam(spec.learningRate, spec.beta1, spec.beta2);
  }
}
