/**
 * The constructors a model builder uses for its linear layers. Builders take one
 * instead of calling tfl.layers.dense/conv2d directly, so a method that changes what a
 * layer *is* (spectral normalization as a reparameterization) can take effect without
 * rewriting a model after it is built: the run derives the factory from its
 * regularizers and passes it to buildModel.
 */
import * as tfl from '@tensorflow/tfjs-layers';

export type DenseArgs = Parameters<typeof tfl.layers.dense>[0];
export type Conv2DArgs = Parameters<typeof tfl.layers.conv2d>[0];

export interface LayerFactory {
  /** Shown in errors, e.g. 'standard' or 'spectral-norm'. */
  readonly name: string;
  dense(args: DenseArgs): tfl.layers.Layer;
  conv2d(args: Conv2DArgs): tfl.layers.Layer;
}

export const standardLayers: LayerFactory = {
  name: 'standard',
  dense: (args) => tfl.layers.dense(args),
  conv2d: (args) => tfl.layers.conv2d(args),
};
