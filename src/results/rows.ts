/**
 * The tidy tables lipbench writes under results/<experiment>/. Each table is a zod
 * schema so that the same definition fixes the CSV column order when writing and
 * validates (with file + field in the message) when charts read the CSV back.
 * Numbers that could not be measured are written as empty cells and read back as null.
 */
import { z } from 'zod';
import type { AttackEvalRow } from '../attacks/evaluate.js';

const num = z.number();
const optNum = z.number().nullable();
const bool = z.boolean();

/** Columns shared by every table, so any row can be joined back to its run. */
export const RunKey = z.object({
  runId: z.string().min(1),
  experiment: z.string(),
  dataset: z.string(),
  model: z.string(),
  /** Regularizer label, e.g. `l2` or `spectral-norm+l2` for composed methods. */
  regularizer: z.string(),
  /**
   * Method label: each regularizer with every option that differs from its defaults,
   * e.g. `spectral-norm(sigma=operator)`; charts, tables and claims group by it (with λ).
   * Files written before this column existed read it as '' (see readTables).
   */
  method: z.string().default(''),
  /** The main λ of the run (first regularizer that has one), 0 for `none`. */
  lambda: num,
  seed: z.number().int(),
});
export type RunKey = z.infer<typeof RunKey>;

/** results.csv: one row per run. */
export const RunRow = RunKey.extend({
  regularizers: z.string(), // full JSON of the regularizer list, for traceability
  backend: z.string(),
  /** Threads of the backend's compute kernels; null for tfjs-node and in files written before the column. */
  threads: z.number().int().nullable(),
  epochs: z.number().int(),
  batchSize: z.number().int(),
  optimizer: z.string(),
  learningRate: num,
  trainSize: z.number().int(),
  testSize: z.number().int(),
  trainAcc: num,
  testAcc: num,
  trainLoss: num,
  testLoss: num,
  /** train − test accuracy. */
  gapAcc: num,
  /** test − train loss. */
  gapLoss: num,
  trainSeconds: num,
  /** Product of per-layer operator norms × activation factors (sound L2 upper bound). */
  lipUpper: optNum,
  /** Product of Frobenius norms (looser upper bound). */
  lipUpperFrobenius: optNum,
  /** Product of reshaped-kernel σ; can under-state conv layers, kept for comparison only. */
  lipUpperReshaped: optNum,
  /** max ‖∇ₓ uᵀf(x)‖ over test points. */
  lipLowerGrad: optNum,
  /** max ‖f(x′)−f(x)‖/‖x′−x‖ over PGD pairs. */
  lipLowerPgd: optNum,
  /** max ‖∇ₓ uᵀf(x)‖ at random interpolations between test points of different classes. */
  lipLocalInterp: optNum,
  /** max ‖∇ₓ uᵀf(x)‖ at uniform-noise images in [0,1]. */
  lipLocalNoise: optNum,
  /** Largest relative change of any power iteration at its last step. */
  powerIterTol: optNum,
});
export type RunRow = z.infer<typeof RunRow>;

/** attacks.csv: one row per (run, attack, ε). */
export const AttackRow = RunKey.extend({
  attack: z.string(),
  norm: z.enum(['linf', 'l2']),
  eps: num,
  n: z.number().int(),
  cleanAcc: num,
  robustAcc: num,
  /** Fraction of originally-correct points flipped. */
  successRate: num,
  /** Certified accuracy at this L2 ε from margin/(√2·L); null for L∞ rows. */
  certifiedAcc: optNum,
  // The certificates below are optional in the row type (absent = not computed, an
  // empty cell like null), so code that builds attack rows need not know about them.
  /** Certified accuracy at this L2 ε from min_j (f_y − f_j)/(‖w_y − w_j‖·L(body)); null for L∞ rows. */
  certifiedPairwiseAcc: optNum.optional(),
  /** Certified accuracy at this ε and norm by interval bound propagation (IBP). */
  certifiedIbpAcc: optNum.optional(),
  /** Certified accuracy at this ε and norm by CROWN (backward linear relaxation). */
  certifiedCrownAcc: optNum.optional(),
  flagPgdWeakerThanFgsm: bool,
  flagRobustAccRises: bool,
  flagLargeEpsNotZero: bool,
  flagZeroGrad: bool,
  /**
   * More than 1% of points have over half of ∇ₓ CE exactly 0 at the clean input. This
   * and the columns below are empty in results written before they existed.
   */
  flagZeroStep: bool.nullable(),
  /** A gradient-free attack broke more than 0.5% of the points that every gradient attack left robust. */
  flagGradientMasking: bool.nullable(),
  /** Ensembles: robust accuracy after each member and its wall time, `name:acc:seconds` joined by ';'. Empty otherwise. */
  members: z.string().default(''),
  /** Ensembles: points broken by each member (and `clean:` misclassified unattacked), `name:count` joined by ';'. Empty otherwise. */
  brokenBy: z.string().default(''),
  seconds: num,
});
export type AttackRow = z.infer<typeof AttackRow>;

/** Compile-time: the core's AttackEvalRow is exactly an attacks.csv row less the key and the certificates. */
type AttackRowFromCore = Omit<AttackRow, keyof RunKey | 'certifiedAcc' | 'certifiedPairwiseAcc' | 'certifiedIbpAcc' | 'certifiedCrownAcc'>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const attackRowAgrees: Same<AttackRowFromCore, AttackEvalRow> = true;
void attackRowAgrees;

/** layers.csv: one row per (run, linear layer) after training. */
export const LayerRow = RunKey.extend({
  layer: z.string(),
  kind: z.string(),
  operatorSigma: num,
  reshapedSigma: optNum,
  frobenius: num,
  iterations: z.number().int(),
  relChange: num,
});
export type LayerRow = z.infer<typeof LayerRow>;

/** epochs.csv: one row per (run, epoch, linear layer); training metrics repeat per layer. */
export const EpochRow = RunKey.extend({
  epoch: z.number().int(),
  layer: z.string(),
  /** Operator-norm σ for dense, reshaped-kernel σ for conv (cheap per-epoch proxy). */
  sigma: num,
  trainLoss: num,
  trainAcc: num,
  seconds: num,
});
export type EpochRow = z.infer<typeof EpochRow>;

/** failures.csv: one row per run that failed (diverged, threw); the grid went on without it. */
export const FailureRow = RunKey.extend({
  reason: z.string(),
  at: z.string(),
});
export type FailureRow = z.infer<typeof FailureRow>;

/** claims.csv: one row per seed claim, with its measured numbers and verdict. */
export const ClaimRow = z.object({
  experiment: z.string(),
  claim: z.number().int(),
  title: z.string(),
  /** The measured numbers, each as `name = mean [95% CI]`, joined by '; '. */
  measured: z.string(),
  verdict: z.enum(['supported', 'not supported', 'inconclusive']),
  /** The rule that turned the numbers into the verdict, fixed before measuring. */
  rule: z.string(),
  /** The chart (charts/<name>.svg) or file that shows the evidence. */
  evidence: z.string(),
});
export type ClaimRow = z.infer<typeof ClaimRow>;

export const TABLES = {
  results: RunRow,
  attacks: AttackRow,
  layers: LayerRow,
  epochs: EpochRow,
  failures: FailureRow,
} as const;
export type TableName = keyof typeof TABLES;
