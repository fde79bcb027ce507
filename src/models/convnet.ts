/**
 * A plain conv net with strided convolutions and no pooling, as in the certified-training
 * literature: GloRo's 2C2F is conv 16 4×4/2 → conv 32 4×4/2 → dense 100 → logits and
 * its 4C3F conv 32 3×3/1 → conv 32 4×4/2 → conv 64 3×3/1 → conv 64 4×4/2 → dense 512
 * → dense 512 → logits (Leino et al. 2021, after Wong & Kolter 2018). 'same' padding.
 * Every layer is one that bound propagation and the differentiable Lipschitz tracker
 * handle (no pooling), so all certificates apply.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { standardLayers, type LayerFactory } from './layer-factory.js';
import { HiddenActivation, hiddenActivation } from './activation.js';
import { orthogonalizeKernels } from './orthogonal-init.js';
import { tfSeed } from '../util/rng.js';

const ConvLayerSpec = z
  .object({
    filters: z.number().int().positive(),
    kernel: z.number().int().positive().default(3),
    stride: z.number().int().positive().default(1),
  })
  .strict();

export const ConvNetSpec = z
  .object({
    kind: z.literal('convnet'),
    conv: z.array(ConvLayerSpec).min(1),
    /** Widths of the hidden dense layers after the flatten. */
    dense: z.array(z.number().int().positive()).default([]),
    /** Hidden activation; absent = 'relu'. */
    activation: HiddenActivation.optional(),
    /** Kernel initialization; absent = He normal (Glorot uniform for the logits). */
    init: z.enum(['orthogonal']).optional(),
  })
  .strict();
export type ConvNetSpec = z.infer<typeof ConvNetSpec>;

export function convNetLabel(spec: ConvNetSpec): string {
  const conv = spec.conv.map((c) => `${c.filters}k${c.kernel}s${c.stride}`).join('-');
  const dense = spec.dense.length ? `-d${spec.dense.join('x')}` : '';
  return `convnet-${conv}${dense}${spec.activation === 'maxmin' ? '-maxmin' : ''}${spec.init === 'orthogonal' ? '-orth' : ''}`;
}

export function buildConvNet(
  spec: ConvNetSpec,
  inputShape: readonly number[],
  numClasses: number,
  seed: number,
  make: LayerFactory = standardLayers,
): tfl.LayersModel {
  const layers: tfl.layers.Layer[] = [];
  spec.conv.forEach((c, i) => {
    layers.push(
      make.conv2d({
        ...(i === 0 ? { inputShape: [...inputShape] } : {}),
        filters: c.filters,
        kernelSize: c.kernel,
        strides: c.stride,
        padding: 'same',
        name: `conv_${i + 1}`,
        kernelInitializer: tfl.initializers.heNormal({ seed: tfSeed(seed * 101 + i) }),
      }),
      hiddenActivation(spec.activation, `conv_relu_${i + 1}`),
    );
  });
  layers.push(tfl.layers.flatten({ name: 'flatten' }));
  spec.dense.forEach((units, i) => {
    layers.push(
      make.dense({ units, name: `dense_${i + 1}`, kernelInitializer: tfl.initializers.heNormal({ seed: tfSeed(seed * 101 + 50 + i) }) }),
      hiddenActivation(spec.activation, `relu_${i + 1}`),
    );
  });
  layers.push(make.dense({ units: numClasses, name: 'logits', kernelInitializer: tfl.initializers.glorotUniform({ seed: tfSeed(seed * 101 + 99) }) }));
  const model = tfl.sequential({ layers, name: 'convnet' });
  if (spec.init === 'orthogonal') orthogonalizeKernels(model, seed);
  return model;
}
