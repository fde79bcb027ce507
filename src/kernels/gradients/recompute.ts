/**
 * Gradients that recompute the op's output from its input instead of saving the output.
 *
 * Why: tfjs 4.22 gets *second-order* gradients silently wrong for every op whose
 * gradient uses its saved output (Exp, Tanh, Sigmoid, Softmax, LogSoftmax, Elu, ...).
 * The engine saves tensors for backprop by cloning them, and the clone's tape node is
 * recorded while the op itself is still running, i.e. before the op's own node. In the
 * outer (second-order) backward pass, which walks the tape in reverse, the path through
 * the saved output y therefore reaches y only after y's producer has been processed,
 * and is dropped: no error, just a wrong gradient (e.g. ∂/∂W of ‖∇ₓ tanh(xW)‖² off by
 * 20–100%; test/methods-grad-penalty.test.ts catches it). Saved *inputs* are fine (their
 * producers are earlier on the tape), so these gradients save x and recompute y = f(x)
 * with the same kernel, which makes them bitwise identical to the stock first-order
 * gradients.
 *
 * Not covered (document, don't guess): Pow's gradient w.r.t. the exponent, LRN and
 * MaxPool3D. MaxPool, Max and Min also save outputs, but only to locate the maximum;
 * their derivative w.r.t. that saved output is zero, so nothing is lost.
 */
import * as tf from '@tensorflow/tfjs-core';

function single(kernelName: string, derivative: (x: tf.Tensor) => tf.Tensor): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      return { x: () => tf.mul(dy as tf.Tensor, derivative(x)) };
    },
  };
}

export const recomputingGradients: tf.GradConfig[] = [
  single(tf.Exp, (x) => tf.exp(x)),
  single(tf.Tanh, (x) => tf.sub(1, tf.square(tf.tanh(x)))),
  single(tf.Sigmoid, (x) => {
    const s = tf.sigmoid(x);
    return tf.mul(s, tf.sub(1, s));
  }),
  single(tf.Elu, (x) => tf.where(tf.greater(x, 0), tf.onesLike(x), tf.exp(x))),
  {
    kernelName: tf.Softmax,
    inputsToSave: ['logits'],
    gradFunc: (dy, saved, attrs) => {
      const [logits] = saved as [tf.Tensor];
      const dim = (attrs as unknown as tf.SoftmaxAttrs).dim;
      return {
        logits: () => {
          const y = tf.softmax(logits, dim);
          const d = dy as tf.Tensor;
          return tf.mul(y, tf.sub(d, tf.sum(tf.mul(d, y), [dim], true)));
        },
      };
    },
  },
  {
    kernelName: tf.LogSoftmax,
    inputsToSave: ['logits'],
    gradFunc: (dy, saved, attrs) => {
      const [logits] = saved as [tf.Tensor];
      const axis = (attrs as unknown as tf.LogSoftmaxAttrs).axis;
      return {
        logits: () => {
          const d = dy as tf.Tensor;
          return tf.sub(d, tf.mul(tf.sum(d, axis, true), tf.softmax(logits, axis)));
        },
      };
    },
  },
];
