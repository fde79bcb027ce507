/**
 * The one way the core reads a classifier's output: logits in inference mode (dropout
 * off, batch-norm on its moving statistics), checked to be a single [batch, classes]
 * tensor. Attacks, evaluation and the Lipschitz probes all call this.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export function logits(model: tfl.LayersModel, x: tf.Tensor): tf.Tensor2D {
  const out = model.apply(x, { training: false });
  // Duck-typed: a second copy of tfjs-core in node_modules would defeat instanceof.
  if (Array.isArray(out) || !('dataSync' in out)) throw new Error('the model has several outputs; expected one logit tensor [batch, classes]');
  const t = out as tf.Tensor;
  if (t.rank !== 2) throw new Error(`the model output has shape [${t.shape}]; expected logits [batch, classes]`);
  return t as tf.Tensor2D;
}
