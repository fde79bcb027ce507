/**
 * Row subsets of a batch: attacks that continue only on the examples still robust
 * (APGD-T over its targets, Square, the ensemble members) gather those rows, attack
 * them, and write the results back.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Indices i with mask[i] === 0, i.e. the examples no attack has broken yet. */
export function unbroken(mask: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) out.push(i);
  return out;
}

/** The rows `idx` of t, as a new tensor. */
export function gatherRows<T extends tf.Tensor>(t: T, idx: readonly number[]): T {
  return tf.tidy(() => tf.gather(t, tf.tensor1d([...idx], 'int32')) as T);
}

/** A copy of `base` whose rows `idx` are replaced by the rows of `updates` (in order). */
export function replaceRows<T extends tf.Tensor>(base: T, idx: readonly number[], updates: T): T {
  if (idx.length !== updates.shape[0]) throw new Error(`replaceRows: ${idx.length} indices for ${updates.shape[0]} rows`);
  if (idx.length === 0) return base.clone();
  return tf.tidy(() => {
    const n = base.shape[0]!;
    const at = tf.tensor2d([...idx], [idx.length, 1], 'int32');
    const scattered = tf.scatterND(at, updates, base.shape);
    const hit = new Float32Array(n);
    for (const i of idx) hit[i] = 1;
    const rowShape = [n, ...base.shape.slice(1).map(() => 1)];
    const mask = tf.broadcastTo(tf.reshape(tf.cast(tf.tensor1d(hit), 'bool'), rowShape), base.shape);
    return tf.where(mask, scattered, base) as T;
  });
}
