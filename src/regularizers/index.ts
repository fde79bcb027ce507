/**
 * The regularizer registry. A config names methods; each method is one
 * regularizer or a list of them applied together (e.g. spectral-norm + l2).
 * Adding a method = one file + one entry in `RegularizerSpec` and `create`.
 */
import { z } from 'zod';
import { createNone } from './none.js';
import { createL2, L2Options } from './l2.js';
import { createSpectral, SpectralOptions } from './spectral.js';
import type { Regularizer } from './types.js';

export type { Regularizer, StepContext, HookContext } from './types.js';

const NoneOptions = z.object({ name: z.literal('none') }).strict();

export const RegularizerSpec = z.discriminatedUnion('name', [NoneOptions, L2Options, SpectralOptions]);
export type RegularizerSpec = z.infer<typeof RegularizerSpec>;
export const REGULARIZER_NAMES = RegularizerSpec.options.map((o) => o.shape.name.value);

export function createRegularizer(spec: RegularizerSpec, seed: number): Regularizer {
  switch (spec.name) {
    case 'none':
      return createNone();
    case 'l2':
      return createL2(spec);
    case 'spectral':
      return createSpectral(spec, seed);
  }
}

/** `l2`, or `spectral-norm+l2` for a composed method. */
export function regularizerLabel(specs: readonly RegularizerSpec[]): string {
  return specs.map((s) => s.name).join('+');
}

/** The λ reported for a run: the first regularizer that has one, else 0. */
export function mainLambda(specs: readonly RegularizerSpec[]): number {
  for (const s of specs) if ('lambda' in s) return s.lambda;
  return 0;
}
