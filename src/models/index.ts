import type * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { buildMlp, MlpSpec } from './mlp.js';
import { buildCnn, CnnSpec } from './cnn.js';
import { buildConvNet, ConvNetSpec, convNetLabel } from './convnet.js';
import { standardLayers, type LayerFactory } from './layer-factory.js';

export { standardLayers, type LayerFactory } from './layer-factory.js';

export const ModelSpec = z.discriminatedUnion('kind', [MlpSpec, CnnSpec, ConvNetSpec]);
export type ModelSpec = z.infer<typeof ModelSpec>;

/** A short, stable label for results tables, e.g. `mlp-256x256` or `cnn-32x64-d128`. */
export function modelLabel(spec: ModelSpec): string {
  switch (spec.kind) {
    case 'mlp':
      return `mlp-${spec.hidden.join('x')}${spec.activation === 'maxmin' ? '-maxmin' : ''}`;
    case 'cnn':
      return `cnn-${spec.filters.join('x')}-d${spec.dense}${spec.activation === 'maxmin' ? '-maxmin' : ''}`;
    case 'convnet':
      return convNetLabel(spec);
  }
}

export interface BuildOptions {
  /**
   * Constructors for the dense and conv layers (default: tfjs-layers' own). A run
   * passes the factory its regularizers ask for, e.g. spectral-norm's SN layers.
   */
  readonly layers?: LayerFactory;
}

/** Build a fresh classifier that outputs logits for NHWC inputs in [0,1]. */
export function buildModel(spec: ModelSpec, inputShape: readonly number[], numClasses: number, seed: number, opts: BuildOptions = {}): tfl.LayersModel {
  const make = opts.layers ?? standardLayers;
  switch (spec.kind) {
    case 'mlp':
      return buildMlp(spec, inputShape, numClasses, seed, make);
    case 'cnn':
      return buildCnn(spec, inputShape, numClasses, seed, make);
    case 'convnet':
      return buildConvNet(spec, inputShape, numClasses, seed, make);
  }
}
