import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerSpec } from './options.js';

export function createOptimizer(spec: OptimizerSpec): tf.Optimizer {
  switch (spec.name) {
    case 'sgd':
      return tf.train.sgd(spec.learningRate);
    case 'momentum':
      return tf.train.momentum(spec.learningRate, spec.momentum, spec.nesterov);
    case 'adam':
      return tf.train.adam(spec.learningRate, spec.beta1, spec.beta2);
  }
}
