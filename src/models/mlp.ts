import * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { standardLayers, type LayerFactory } from './layer-factory.js';
import { HiddenActivation, hiddenActivation } from './activation.js';
import { tfSeed } from '../util/rng.js';

export const MlpSpec = z
  .object({
    kind: z.literal('mlp'),
    /** Widths of the hidden ReLU layers. */
    hidden: z.array(z.number().int().positive()).min(1).default([256, 256]),
    /** Hidden activation; absent = 'relu'. */
    activation: HiddenActivation.optional(),
  })
  .strict();
export type MlpSpec = z.infer<typeof MlpSpec>;

/**
 * Flatten → Dense+ReLU per hidden width → Dense logits. Activations are separate
 * layers rather than fused, so Lipschitz measurement sees every non-linearity by name.
 */
export function buildMlp(
  spec: MlpSpec,
  inputShape: readonly number[],
  numClasses: number,
  seed: number,
  make: LayerFactory = standardLayers,
): tfl.LayersModel {
  const layers: tfl.layers.Layer[] = [tfl.layers.flatten({ inputShape: [...inputShape], name: 'flatten' })];
  spec.hidden.forEach((units, i) => {
    layers.push(
      make.dense({
        units,
        name: `dense_${i + 1}`,
        kernelInitializer: tfl.initializers.heNormal({ seed: tfSeed(seed * 101 + i) }),
      }),
      hiddenActivation(spec.activation, `relu_${i + 1}`),
    );
  });
  layers.push(
    make.dense({
      units: numClasses,
      name: 'logits',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: tfSeed(seed * 101 + 99) }),
    }),
  );
  return tfl.sequential({ layers, name: 'mlp' });
}
