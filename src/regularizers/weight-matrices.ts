import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export interface KernelRef {
  /** Layer name, e.g. `dense_1`. */
  readonly layer: string;
  /** The layer's class, e.g. `Dense` or `Conv2D`. */
  readonly kind: string;
  readonly variable: tf.Variable;
}

/**
 * Every trainable weight matrix or conv kernel (not biases, not batch-norm scales):
 * the linear maps whose norms bound the network's Lipschitz constant.
 */
export function kernelsOf(model: tfl.LayersModel): KernelRef[] {
  const out: KernelRef[] = [];
  for (const layer of model.layers) {
    for (const w of layer.trainableWeights) {
      if (!/(^|\/)kernel(_\d+)?$/.test(w.originalName) && !w.originalName.endsWith('/kernel')) continue;
      out.push({ layer: layer.name, kind: layer.getClassName(), variable: w.read() as tf.Variable });
    }
  }
  return out;
}

/**
 * The matrix view used by spectral-norm regularization and normalization: a conv
 * kernel [kh, kw, cin, cout] becomes [kh·kw·cin, cout] (Yoshida & Miyato 2017;
 * Miyato et al. 2018). This is NOT the conv operator's norm; see lipschitz/.
 */
export function asMatrix(w: tf.Tensor): tf.Tensor2D {
  if (w.rank === 2) return w as tf.Tensor2D;
  const cout = w.shape[w.rank - 1]!;
  return tf.reshape(w, [w.size / cout, cout]);
}
