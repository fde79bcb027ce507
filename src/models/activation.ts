/**
 * The hidden activation of the built-in models: 'relu' (default) or 'maxmin' (GroupSort-2,
 * 1-Lipschitz and gradient-norm preserving; see maxmin.ts). An absent option means
 * 'relu', and is left out of the spec so existing run ids do not change.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { maxMin } from './maxmin.js';

export const HiddenActivation = z.enum(['relu', 'maxmin']);
export type HiddenActivation = z.infer<typeof HiddenActivation>;

export function hiddenActivation(kind: HiddenActivation | undefined, name: string): tfl.layers.Layer {
  return kind === 'maxmin' ? maxMin({ name: name.replace(/relu/, 'maxmin') }) : tfl.layers.activation({ activation: 'relu', name });
}
