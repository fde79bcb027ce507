/**
 * The WGAN experiment schema (issue 6): which critic constraints to compare, on what
 * data, with which models, for how long, and how quality is measured. Like the
 * classifier experiments it is plain data validated by zod, written as a typed
 * `experiments/<name>.ts` (via defineWganExperiment) or JSON, and expanded into runs
 * (variant × seed) whose runId is a hash of everything that determines their numbers.
 *
 * Critic variants (`kind`), each with the defaults of the paper it comes from:
 *  - `gp`           two-sided gradient penalty λ·E[(‖∇D(x̂)‖−1)²] at random interpolates,
 *                   λ = 10, n_critic = 5, Adam(1e-4, β1 = 0, β2 = 0.9)
 *                   (Gulrajani et al., "Improved Training of Wasserstein GANs", 2017).
 *  - `gp-one-sided` the seed post's variant λ·E[max(‖∇D(x̂)‖−1, 0)²], same defaults.
 *  - `sn`           spectral normalization as a reparameterization of every critic layer
 *                   (Miyato et al. 2018), no penalty; same optimizer and n_critic as `gp`
 *                   so that the constraint is the only difference.
 *  - `clip`         weight clipping to [−0.01, 0.01] after every critic step, RMSprop(5e-5),
 *                   n_critic = 5 (Arjovsky, Chintala & Bottou, "Wasserstein GAN", 2017).
 */
import { z } from 'zod';
import { formatZodError, UserError } from '../util/errors.js';
import { shortHash } from '../config/hash.js';

export const WganOptimizer = z.discriminatedUnion('name', [
  z
    .object({
      name: z.literal('adam'),
      learningRate: z.number().positive(),
      beta1: z.number().min(0).max(1).default(0.9),
      beta2: z.number().min(0).max(1).default(0.999),
    })
    .strict(),
  z
    .object({
      name: z.literal('rmsprop'),
      learningRate: z.number().positive(),
      /** tfjs' `decay` (the moving-average factor ρ of the squared gradients). */
      decay: z.number().min(0).max(1).default(0.9),
    })
    .strict(),
]);
export type WganOptimizer = z.infer<typeof WganOptimizer>;

const GP_ADAM = { name: 'adam', learningRate: 1e-4, beta1: 0, beta2: 0.9 } as const;
const CLIP_RMSPROP = { name: 'rmsprop', learningRate: 5e-5, decay: 0.9 } as const;

/** Fields every variant has. `generatorOptimizer` defaults to a copy of `optimizer`. */
const common = {
  /** Series name in tables and charts; defaults to the kind. Must be unique. */
  label: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/).optional(),
  /** Critic steps per generator step. */
  nCritic: z.number().int().positive().default(5),
  generatorOptimizer: WganOptimizer.optional(),
};

const GpVariant = z
  .object({
    kind: z.enum(['gp', 'gp-one-sided']),
    ...common,
    optimizer: WganOptimizer.default(GP_ADAM),
    /** Penalty weight λ. */
    lambda: z.number().nonnegative().default(10),
    /** Target gradient norm K. */
    target: z.number().positive().default(1),
  })
  .strict();

const SnVariant = z
  .object({
    kind: z.literal('sn'),
    ...common,
    optimizer: WganOptimizer.default(GP_ADAM),
    /** Power iterations per training-mode critic call (the paper: 1). */
    powerIters: z.number().int().positive().default(1),
    /** σ of the reshaped kernel (the paper) or of the convolution operator. */
    sigma: z.enum(['reshaped', 'operator']).default('reshaped'),
  })
  .strict();

const ClipVariant = z
  .object({
    kind: z.literal('clip'),
    ...common,
    optimizer: WganOptimizer.default(CLIP_RMSPROP),
    /** Every critic weight (kernels and biases) is clipped to [−clip, clip] after each step. */
    clip: z.number().positive().default(0.01),
  })
  .strict();

export const WganVariant = z.discriminatedUnion('kind', [GpVariant, SnVariant, ClipVariant]);
export type WganVariant = z.infer<typeof WganVariant>;
export type WganKind = WganVariant['kind'];

export const WganModels = z
  .object({
    /** Length of the generator's N(0, I) input. */
    noiseDim: z.number().int().positive().default(64),
    /** Channels at 7×7 and at 14×14 in the generator (dense → 7×7 → 14×14 → 28×28). */
    generatorFilters: z.tuple([z.number().int().positive(), z.number().int().positive()]).default([64, 32]),
    /** Channels of the critic's two stride-2 4×4 convolutions (28 → 14 → 7). */
    criticFilters: z.tuple([z.number().int().positive(), z.number().int().positive()]).default([32, 64]),
    /** Negative slope of the critic's leaky ReLUs. */
    leak: z.number().min(0).max(1).default(0.2),
  })
  .strict();
export type WganModels = z.infer<typeof WganModels>;

export const FeatureClassifierSettings = z
  .object({
    /** Training images (from the MNIST train split, seeded shuffle). */
    trainSize: z.number().int().positive().default(20000),
    epochs: z.number().int().positive().default(2),
    seed: z.number().int().nonnegative().default(0),
    /** The CNN: conv3×3 blocks then a dense feature layer (its ReLU output is the feature). */
    filters: z.array(z.number().int().positive()).min(1).default([32, 64]),
    features: z.number().int().positive().default(128),
  })
  .strict();
export type FeatureClassifierSettings = z.infer<typeof FeatureClassifierSettings>;

export const WganExperiment = z
  .object({
    kind: z.literal('wgan').default('wgan'),
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" or "-"'),
    description: z.string().default(''),
    data: z
      .object({
        /** MNIST training images the GAN learns from (seeded shuffle of the train split). */
        trainSize: z.number().int().positive().max(60000).default(60000),
        shuffleSeed: z.number().int().nonnegative().default(1),
        /** Real test images whose features are compared with generated ones. */
        evalSize: z.number().int().positive().max(10000).default(2000),
      })
      .strict()
      .default({ trainSize: 60000, shuffleSeed: 1, evalSize: 2000 }),
    models: WganModels.default(WganModels.parse({})),
    variants: z.array(WganVariant).min(1),
    seeds: z.array(z.number().int().nonnegative()).min(1).default([0, 1]),
    train: z
      .object({
        /** An epoch is one pass of the critic over the training images (one real batch per critic step). */
        epochs: z.number().int().positive({ message: 'epochs must be at least 1' }),
        batchSize: z.number().int().positive().default(64),
        /** Evaluate quality, bounds and samples every this many epochs (and after the last). */
        evalEvery: z.number().int().positive().default(1),
        /** Also evaluate before training (epoch 0). */
        evalAtStart: z.boolean().default(true),
        /** Generated samples for the Fréchet distance, confidence and class entropy. */
        evalSamples: z.number().int().positive().default(2000),
      })
      .strict(),
    lipschitz: z
      .object({
        /** Real, fake and interpolated points at which ‖∇ₓD‖ is evaluated. */
        points: z.number().int().positive().default(256),
        tol: z.number().positive().default(1e-4),
        maxIters: z.number().int().positive().default(300),
      })
      .strict()
      .default({ points: 256, tol: 1e-4, maxIters: 300 }),
    featureClassifier: FeatureClassifierSettings.default(FeatureClassifierSettings.parse({})),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const labels = cfg.variants.map(variantLabel);
    labels.forEach((l, i) => {
      if (labels.indexOf(l) !== i) ctx.addIssue({ code: 'custom', path: ['variants', i, 'label'], message: `duplicate variant label "${l}"; give one a distinct \`label\`` });
    });
    if (cfg.train.batchSize > cfg.data.trainSize) ctx.addIssue({ code: 'custom', path: ['train', 'batchSize'], message: 'larger than data.trainSize' });
    cfg.variants.forEach((v, i) => {
      if (criticStepsPerEpoch(cfg.data.trainSize, cfg.train.batchSize) < v.nCritic) {
        ctx.addIssue({ code: 'custom', path: ['variants', i, 'nCritic'], message: 'an epoch has fewer critic steps than nCritic: no generator step would run' });
      }
    });
  });
export type WganExperiment = z.infer<typeof WganExperiment>;
export type WganExperimentInput = z.input<typeof WganExperiment>;

/** Identity with types, for `experiments/*.ts`. */
export function defineWganExperiment(config: Omit<WganExperimentInput, 'kind'> & { kind?: 'wgan' }): WganExperimentInput {
  return { ...config, kind: 'wgan' };
}

export function variantLabel(v: Pick<WganVariant, 'kind' | 'label'>): string {
  return v.label ?? v.kind;
}

export function criticStepsPerEpoch(trainSize: number, batchSize: number): number {
  return Math.floor(trainSize / batchSize);
}

/** Everything that determines one run's numbers. */
export interface WganRunSpec {
  readonly runId: string;
  readonly experiment: string;
  readonly variant: WganVariant;
  readonly label: string;
  readonly seed: number;
  readonly data: WganExperiment['data'];
  readonly models: WganModels;
  readonly train: WganExperiment['train'];
  readonly lipschitz: WganExperiment['lipschitz'];
  readonly featureClassifier: FeatureClassifierSettings;
}

/** Bump when the trainer or the metrics change what a run computes. */
export const WGAN_RUN_VERSION = 1;

export function parseWganExperiment(source: string, raw: unknown): WganExperiment {
  const parsed = WganExperiment.safeParse(raw);
  if (!parsed.success) throw new UserError(formatZodError(source, parsed.error));
  return parsed.data;
}

/** Runs in a stable order: variant (as listed), then seed. */
export function expandWganRuns(cfg: WganExperiment): WganRunSpec[] {
  const runs: WganRunSpec[] = [];
  for (const variant of cfg.variants) {
    const generatorOptimizer = variant.generatorOptimizer ?? variant.optimizer;
    const v = { ...variant, generatorOptimizer } as WganVariant;
    for (const seed of cfg.seeds) {
      const settings = { v: WGAN_RUN_VERSION, variant: v, seed, data: cfg.data, models: cfg.models, train: cfg.train, lipschitz: cfg.lipschitz, featureClassifier: cfg.featureClassifier };
      runs.push({ runId: shortHash(settings), experiment: cfg.name, label: variantLabel(variant), ...settings, variant: v });
    }
  }
  return runs;
}
