/**
 * The regularizer registry. A config names methods; each method is one
 * regularizer or a list of them applied together (e.g. spectral-norm + l2).
 * Adding a method = one file + one line in `METHODS`.
 */
import { z } from 'zod';
import { createNone } from './none.js';
import { createL2, L2Options } from './l2.js';
import { createSpectral, SpectralOptions } from './spectral.js';
import { createSpectralNorm, SpectralNormOptions } from './spectral-norm.js';
import { createSpectralProjection, SpectralProjectionOptions } from './spectral-projection.js';
import { createGradPenalty, GradPenaltyOptions } from './grad-penalty.js';
import { ClipOptions, createClip } from './clip.js';
import { createFrobeniusNorm, FrobeniusNormOptions } from './frobenius-norm.js';
import { AdversarialTrainingOptions, createAdversarialTraining } from './adversarial-training.js';
import { createGloro, GloroOptions } from './gloro.js';
import { createLipschitzMargin, LipschitzMarginOptions } from './lipschitz-margin.js';
import { createOrthonormal, OrthonormalOptions } from './orthonormal.js';
import type { LayerFactory } from '../models/layer-factory.js';
import type { Regularizer } from './types.js';

export type { Regularizer, StepContext, HookContext, BatchContext } from './types.js';

const NoneOptions = z.object({ name: z.literal('none') }).strict();

/** One training method: its options schema (with its `name` literal) and its constructor. */
interface Method<S extends z.ZodObject<{ name: z.ZodLiteral<string> }>> {
  readonly options: S;
  readonly create: (spec: z.infer<S>, seed: number) => Regularizer;
}

function method<S extends z.ZodObject<{ name: z.ZodLiteral<string> }>>(options: S, create: Method<S>['create']): Method<S> {
  return { options, create };
}

/** The registry: one line per method. */
const METHODS = [
  method(NoneOptions, () => createNone()),
  method(L2Options, (spec) => createL2(spec)),
  method(SpectralOptions, (spec, seed) => createSpectral(spec, seed)),
  method(SpectralNormOptions, (spec) => createSpectralNorm(spec)),
  method(SpectralProjectionOptions, (spec, seed) => createSpectralProjection(spec, seed)),
  method(GradPenaltyOptions, (spec, seed) => createGradPenalty(spec, seed)),
  method(ClipOptions, (spec) => createClip(spec)),
  method(FrobeniusNormOptions, (spec) => createFrobeniusNorm(spec)),
  method(AdversarialTrainingOptions, (spec, seed) => createAdversarialTraining(spec, seed)),
  method(GloroOptions, (spec, seed) => createGloro(spec, seed)),
  method(LipschitzMarginOptions, (spec, seed) => createLipschitzMargin(spec, seed)),
  method(OrthonormalOptions, (spec) => createOrthonormal(spec)),
] as const;

type OptionsOf<T extends readonly Method<z.ZodObject<{ name: z.ZodLiteral<string> }>>[]> = { -readonly [K in keyof T]: T[K]['options'] };

export const RegularizerSpec = z.discriminatedUnion('name', METHODS.map((m) => m.options) as OptionsOf<typeof METHODS>);
export type RegularizerSpec = z.infer<typeof RegularizerSpec>;
export const REGULARIZER_NAMES = METHODS.map((m) => m.options.shape.name.value);

const BY_NAME = new Map<string, Method<z.ZodObject<{ name: z.ZodLiteral<string> }>>>(METHODS.map((m) => [m.options.shape.name.value, m as Method<never>]));

export function createRegularizer(spec: RegularizerSpec, seed: number): Regularizer {
  const m = BY_NAME.get(spec.name);
  if (!m) throw new Error(`unknown regularizer "${spec.name}" (known: ${REGULARIZER_NAMES.join(', ')})`);
  return m.create(spec, seed);
}

/**
 * The layer constructors a run's model must be built with: the one a regularizer asks
 * for (spectral-norm), else undefined (tfjs-layers' own). Two different requests cannot
 * both be honoured, so they are an error rather than a silent pick.
 */
export function layerFactoryFor(regs: readonly Regularizer[]): LayerFactory | undefined {
  const wanted = regs.filter((r) => r.layerFactory !== undefined);
  if (wanted.length > 1) {
    throw new Error(`regularizers ${wanted.map((r) => r.name).join(' and ')} each need their own layer types; they cannot be combined`);
  }
  return wanted[0]?.layerFactory;
}

/** `l2`, or `spectral-norm+l2` for a composed method. */
export function regularizerLabel(specs: readonly RegularizerSpec[]): string {
  return specs.map((s) => s.name).join('+');
}

/** An option value as it appears in a method label; JSON for anything not a scalar. */
function optionText(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/**
 * The method a run used, precise enough that two different settings never share a
 * label: each regularizer's name with every option that differs from its default,
 * e.g. `spectral-norm(sigma=operator)`, `clip(c=0.1)`, `spectral-norm+l2(decoupled=true)`.
 * The main λ (see mainLambda) is left out because it has its own column and the charts
 * write it beside the label; any other regularizer's λ is part of the label.
 */
export function methodLabel(specs: readonly RegularizerSpec[]): string {
  const mainIndex = specs.findIndex((s) => 'lambda' in s);
  return specs
    .map((spec, i) => {
      // The defaults are what the schema fills in for the bare name (plus the λ, which
      // some methods require and which never counts as "the default").
      const defaults: Record<string, unknown> = RegularizerSpec.parse('lambda' in spec ? { name: spec.name, lambda: spec.lambda } : { name: spec.name });
      const shape = Object.keys(RegularizerSpec.options.find((o) => o.shape.name.value === spec.name)!.shape);
      const given = spec as Record<string, unknown>;
      const diffs = shape
        .filter((k) => k !== 'name' && !(k === 'lambda' && i === mainIndex))
        .filter((k) => given[k] !== undefined && (k === 'lambda' || optionText(given[k]) !== optionText(defaults[k])))
        .map((k) => `${k}=${optionText(given[k])}`);
      return diffs.length > 0 ? `${spec.name}(${diffs.join(',')})` : spec.name;
    })
    .join('+');
}

/** The λ reported for a run: the first regularizer that has one, else 0. */
export function mainLambda(specs: readonly RegularizerSpec[]): number {
  for (const s of specs) if ('lambda' in s) return s.lambda;
  return 0;
}
