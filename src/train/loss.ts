import * as tf from '@tensorflow/tfjs-core';
import { softmaxCrossEntropyRows } from '../kernels/softmax-ce.js';

/**
 * Softmax cross-entropy of logits against integer labels, averaged over the batch
 * (attacks/losses.ts has it per example). One kernel and its gradient where the backend
 * has lipbench's (kernels/softmax-ce.ts): tfjs' losses.softmaxCrossEntropy was ~25
 * kernels forward and backward in every training step.
 */
export function meanCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(softmaxCrossEntropyRows(logits, labels)) as tf.Scalar);
}
