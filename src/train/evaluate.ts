import * as tf from '@tensorflow/tfjs-core';
import { logits } from '../models/logits.js';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Split } from '../data/types.js';
import { checkpoint, type CancelSignal } from '../util/cancel.js';

export interface SplitMetrics {
  readonly accuracy: number;
  readonly loss: number;
  readonly n: number;
}


/**
 * Accuracy and mean cross-entropy over a whole split, batch by batch so memory stays
 * bounded. Sums are accumulated in float64 on the JS side to avoid float32 drift.
 */
export async function evaluate(model: tfl.LayersModel, split: Split, batchSize = 500, signal?: CancelSignal): Promise<SplitMetrics> {
  const n = split.x.shape[0];
  let correct = 0;
  let lossSum = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const stats = tf.tidy(() => {
      const x = tf.slice(split.x, [start, 0, 0, 0], [size, -1, -1, -1]);
      const y = tf.slice(split.y, [start], [size]);
      const z = logits(model, x);
      const oneHot = tf.oneHot(tf.cast(y, 'int32'), z.shape[1]);
      const losses = tf.losses.softmaxCrossEntropy(oneHot, z, undefined, undefined, tf.Reduction.NONE);
      const hits = tf.equal(tf.argMax(z, 1), tf.cast(y, 'int32'));
      return tf.stack([tf.sum(losses), tf.sum(tf.cast(hits, 'float32'))]);
    });
    const [l, c] = await stats.data();
    stats.dispose();
    lossSum += l!;
    correct += c!;
    await checkpoint(signal);
  }
  return { accuracy: correct / n, loss: lossSum / n, n };
}
