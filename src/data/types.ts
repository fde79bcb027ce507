import type * as tf from '@tensorflow/tfjs-core';

/** One split of an image classification set: NHWC float32 in [0,1], int32 labels. */
export interface Split {
  readonly x: tf.Tensor4D;
  readonly y: tf.Tensor1D;
}

export interface Dataset {
  readonly name: string;
  readonly train: Split;
  readonly test: Split;
  /** [height, width, channels] */
  readonly imageShape: readonly [number, number, number];
  readonly numClasses: number;
}
