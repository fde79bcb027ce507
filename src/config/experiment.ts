/**
 * Experiments are data: a zod schema validates them whether they come from a typed
 * `experiments/<name>.ts` file (via defineExperiment) or a JSON file, and the grid
 * (dataset × model × method × λ × seed) expands into runs with stable ids.
 */
import { z } from 'zod';
import { DATASET_SHAPES, DATASET_SIZES, DatasetName } from '../data/index.js';
import { ModelSpec } from '../models/index.js';
import { REGULARIZER_NAMES, RegularizerSpec } from '../regularizers/index.js';
import { TrainOptions } from '../train/options.js';
import { AttackSpec, attackFromSpec } from '../attacks/index.js';
import { formatPath, formatZodError, UserError } from '../util/errors.js';
import { shortHash } from './hash.js';

/** One regularizer in a grid: like RegularizerSpec, but `lambda` may list several values. */
const RegularizerGridEntry = z
  .object({ name: z.string(), lambda: z.union([z.number(), z.array(z.number()).min(1)]).optional() })
  .loose();

/** A method: one regularizer, or several applied together (e.g. spectral-norm + l2). */
const MethodGrid = z.union([RegularizerGridEntry, z.array(RegularizerGridEntry).min(1)]);

export const LipschitzOptions = z
  .object({
    enabled: z.boolean().default(true),
    /** Relative-change tolerance at which power iteration stops. */
    tol: z.number().positive().default(1e-5),
    maxIters: z.number().int().positive().default(1000),
    /** Test points used for the gradient-norm lower bound. */
    gradPoints: z.number().int().positive().default(1000),
    /** Extra gradient-ascent steps on the gradient norm (0 = evaluate at data points only). */
    ascentSteps: z.number().int().nonnegative().default(0),
    /**
     * Certificates beyond margin/(√2·L) (always computed), each filling its column of
     * attacks.csv at every attacked ε: 'pairwise' (L2), 'ibp' and 'crown' (L2 and L∞;
     * ReLU dense/conv chains only, cost grows with width).
     */
    certificates: z.array(z.enum(['pairwise', 'ibp', 'crown'])).default(['pairwise']),
  })
  .strict();
export type LipschitzOptions = z.infer<typeof LipschitzOptions>;

export const ExperimentConfig = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" or "-"'),
    description: z.string().default(''),
    datasets: z.array(DatasetName).min(1).default(['mnist']),
    data: z
      .object({
        /** Training examples to use (default: all). */
        trainSize: z.number().int().positive().optional(),
        /** Test examples to use for every evaluation (default: all). */
        testSize: z.number().int().positive().optional(),
        /** Seed of the shuffle that picks subsets; omitted = the files' first N. */
        shuffleSeed: z.number().int().optional(),
        /** Training examples used to measure train accuracy/loss (default: all used for training). */
        trainEvalSize: z.number().int().positive().optional(),
      })
      .strict()
      .default({}),
    models: z.array(ModelSpec).min(1),
    methods: z.array(MethodGrid).min(1),
    seeds: z.array(z.number().int().nonnegative()).min(1).default([0]),
    train: TrainOptions,
    attacks: z.array(AttackSpec).default([]),
    /** Test points that attacks run on (default: the whole test split). */
    attackSize: z.number().int().positive().optional(),
    /**
     * Points per attack batch (default 256). Larger batches amortize per-step overhead
     * on small models (an MLP's APGD step: 30% less time per point at 1000 than at 256);
     * memory grows with it. Random starts are drawn per batch, so it changes the draws.
     */
    attackBatchSize: z.number().int().positive().optional(),
    lipschitz: LipschitzOptions.default(LipschitzOptions.parse({})),
    /**
     * Overrides applied by `--quick` (deep-merged into this config, name suffixed
     * `-quick`): the same code on tiny subsets, for CI and smoke tests.
     */
    quick: z.record(z.string(), z.unknown()).optional(),
    /** Compute the seed-claims table (src/claims) after the runs. */
    claims: z.boolean().default(false),
  })
  .strict();
export type ExperimentConfig = z.infer<typeof ExperimentConfig>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep merge of plain objects; arrays and scalars in `over` replace those in `base`. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** The `--quick` form of a raw config: its `quick` overrides applied, under a `-quick` name. */
export function quickVariant(source: string, raw: unknown): unknown {
  if (!isPlainObject(raw)) return raw;
  const quick = raw['quick'];
  if (quick === undefined) throw new UserError(`${source}: has no \`quick\` section, so --quick has nothing to apply`);
  if (!isPlainObject(quick)) throw new UserError(`${source}: quick: expected an object of overrides`);
  const { quick: _q, ...rest } = raw;
  return { ...deepMerge(rest, quick), name: `${String(raw['name'])}-quick` };
}
export type ExperimentInput = z.input<typeof ExperimentConfig>;

/** Identity with types: lets `experiments/*.ts` files get completion and checking. */
export function defineExperiment(config: ExperimentInput): ExperimentInput {
  return config;
}

/** The settings that determine a trained model; its hash is the runId. */
export interface RunSpec {
  readonly runId: string;
  readonly experiment: string;
  readonly dataset: DatasetName;
  readonly data: ExperimentConfig['data'];
  readonly model: ModelSpec;
  readonly regularizers: readonly RegularizerSpec[];
  readonly seed: number;
  readonly train: TrainOptions;
}

function cartesian<T>(lists: readonly (readonly T[])[]): T[][] {
  return lists.reduce<T[][]>((acc, list) => acc.flatMap((prefix) => list.map((v) => [...prefix, v])), [[]]);
}

/** Expand one method's λ lists and validate each concrete regularizer. */
function expandMethod(source: string, index: number, method: z.infer<typeof MethodGrid>): RegularizerSpec[][] {
  const entries = Array.isArray(method) ? method : [method];
  const perEntry = entries.map((entry, j) => {
    const lambdas = entry.lambda === undefined ? [undefined] : Array.isArray(entry.lambda) ? entry.lambda : [entry.lambda];
    return lambdas.map((lambda) => {
      const candidate = lambda === undefined ? entry : { ...entry, lambda };
      const path = Array.isArray(method) ? ['methods', index, j] : ['methods', index];
      if (!(REGULARIZER_NAMES as readonly string[]).includes(entry.name)) {
        throw new UserError(`${source}: ${formatPath([...path, 'name'])}: unknown regularizer "${entry.name}" (known: ${REGULARIZER_NAMES.join(', ')})`);
      }
      const parsed = RegularizerSpec.safeParse(candidate);
      if (!parsed.success) throw new UserError(formatZodError(source, parsed.error, path));
      return parsed.data;
    });
  });
  return cartesian(perEntry);
}

export function parseExperiment(source: string, raw: unknown): ExperimentConfig {
  const parsed = ExperimentConfig.safeParse(raw);
  if (!parsed.success) throw new UserError(formatZodError(source, parsed.error));
  checkSizes(source, parsed.data);
  checkAttacksFit(source, parsed.data);
  return parsed.data;
}

/** Attack options that depend on the data (APGD-T's targets, Square's image shape) fail here, before any training. */
function checkAttacksFit(source: string, cfg: ExperimentConfig): void {
  cfg.attacks.forEach((spec, i) => {
    const attack = attackFromSpec(spec);
    for (const ds of cfg.datasets) {
      const { imageShape, numClasses } = DATASET_SHAPES[ds];
      try {
        attack.validate?.({ numClasses, inputShape: imageShape });
      } catch (e) {
        throw new UserError(`${source}: ${formatPath(['attacks', i])}: ${(e as Error).message} (dataset ${ds})`);
      }
    }
  });
}

/**
 * Sizes beyond the data are input errors, found before anything is written: a
 * trainSize above the dataset trained nothing and was recorded as a failed run, and
 * an attackSize above testSize silently attacked fewer points.
 */
function checkSizes(source: string, cfg: ExperimentConfig): void {
  for (const ds of cfg.datasets) {
    const avail = DATASET_SIZES[ds];
    const train = cfg.data.trainSize ?? avail.train;
    const test = cfg.data.testSize ?? avail.test;
    const limits: [string, number | undefined, number, string][] = [
      ['data.trainSize', cfg.data.trainSize, avail.train, `the ${avail.train} training examples of ${ds}`],
      ['data.testSize', cfg.data.testSize, avail.test, `the ${avail.test} test examples of ${ds}`],
      ['data.trainEvalSize', cfg.data.trainEvalSize, train, `the ${train} training examples used (data.trainSize)`],
      ['attackSize', cfg.attackSize, test, `the ${test} test examples used (data.testSize)`],
      ['train.batchSize', cfg.train.batchSize, train, `the ${train} training examples used`],
    ];
    for (const [field, value, max, what] of limits) {
      if (value !== undefined && value > max) throw new UserError(`${source}: ${field}: ${value} is more than ${what}`);
    }
  }
}

/** Every run of the grid, in a stable order: dataset, model, method, λ, seed. */
export function expandRuns(source: string, cfg: ExperimentConfig): RunSpec[] {
  const methods = cfg.methods.flatMap((m, i) => expandMethod(source, i, m));
  const runs: RunSpec[] = [];
  for (const dataset of cfg.datasets) {
    for (const model of cfg.models) {
      for (const regularizers of methods) {
        for (const seed of cfg.seeds) {
          const settings = { dataset, data: cfg.data, model, regularizers, seed, train: cfg.train };
          runs.push({ runId: shortHash(settings), experiment: cfg.name, ...settings });
        }
      }
    }
  }
  const ids = new Set(runs.map((r) => r.runId));
  if (ids.size !== runs.length) throw new UserError(`${source}: the grid lists the same run twice (duplicate model, method or seed)`);
  return runs;
}
