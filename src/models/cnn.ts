import * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { standardLayers, type LayerFactory } from './layer-factory.js';
import { HiddenActivation, hiddenActivation } from './activation.js';
import { tfSeed } from '../util/rng.js';

export const CnnSpec = z
  .object({
    kind: z.literal('cnn'),
    /** Output channels of each 3×3 conv block (conv → ReLU → 2×2 max-pool). */
    filters: z.array(z.number().int().positive()).min(1).default([32, 64]),
    /** Width of the dense ReLU layer before the logits; 0 for none. */
    dense: z.number().int().nonnegative().default(128),
    /** Hidden activation; absent = 'relu'. */
    activation: HiddenActivation.optional(),
  })
  .strict();
export type CnnSpec = z.infer<typeof CnnSpec>;

/**
 * A small conv net: [conv3×3 same → ReLU → maxpool 2×2]×k → flatten → dense → ReLU → logits.
 * Non-overlapping pooling keeps the max-pool's L2 Lipschitz factor at 1.
 */
export function buildCnn(
  spec: CnnSpec,
  inputShape: readonly number[],
  numClasses: number,
  seed: number,
  make: LayerFactory = standardLayers,
): tfl.LayersModel {
  const layers: tfl.layers.Layer[] = [];
  spec.filters.forEach((filters, i) => {
    layers.push(
      make.conv2d({
        ...(i === 0 ? { inputShape: [...inputShape] } : {}),
        filters,
        kernelSize: 3,
        padding: 'same',
        name: `conv_${i + 1}`,
        kernelInitializer: tfl.initializers.heNormal({ seed: tfSeed(seed * 101 + i) }),
      }),
      hiddenActivation(spec.activation, `conv_relu_${i + 1}`),
      tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool_${i + 1}` }),
    );
  });
  layers.push(tfl.layers.flatten({ name: 'flatten' }));
  if (spec.dense > 0) {
    layers.push(
      make.dense({ units: spec.dense, name: 'dense_1', kernelInitializer: tfl.initializers.heNormal({ seed: tfSeed(seed * 101 + 50) }) }),
      hiddenActivation(spec.activation, 'relu_1'),
    );
  }
  layers.push(
    make.dense({ units: numClasses, name: 'logits', kernelInitializer: tfl.initializers.glorotUniform({ seed: tfSeed(seed * 101 + 99) }) }),
  );
  return tfl.sequential({ layers, name: 'cnn' });
}
