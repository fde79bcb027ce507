import * as tf from '@tensorflow/tfjs-core';

/** Softmax cross-entropy of logits against integer labels, averaged over the batch (attacks/losses.ts has it per example). */
export function meanCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]);
    return tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
  });
}
