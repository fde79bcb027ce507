/**
 * The WGAN result tables, one zod schema each (the column order of the CSV):
 *   wgan.csv           one row per run and evaluated epoch (tidy: one observation per row)
 *   wgan-verdicts.csv  one row per claim of the seed post
 * The charts, verdicts and report are rebuilt from wgan.csv alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic.js';
import { parseTable, toCsv } from '../results/csv.js';
import type { CsvFile } from '../results/run-store.js';

const num = z.number();
/** Empty cell = not measured (zod rejects NaN and ±Infinity; sanitizeRow maps them to null). */
const numOrNull = z.number().nullable();

export const WganRow = z.object({
  runId: z.string(),
  experiment: z.string(),
  variant: z.string(),
  kind: z.string(),
  seed: z.number().int(),
  epoch: z.number().int(),
  criticSteps: z.number().int(),
  generatorSteps: z.number().int(),
  /** Cumulative training wall-clock seconds at the end of this epoch (evaluation excluded). */
  trainSeconds: num,
  epochSeconds: numOrNull,
  secondsPerCriticStep: numOrNull,
  secondsPerGeneratorStep: numOrNull,
  /** Mean over the epoch's critic steps of mean D(real) − mean D(fake). */
  wassersteinTrain: numOrNull,
  /** mean D(real test images) − mean D(generated samples), inference mode. */
  wassersteinEval: numOrNull,
  criticLoss: numOrNull,
  generatorLoss: numOrNull,
  penalty: numOrNull,
  /** Fréchet distance of the feature classifier's penultimate features (lower is better). */
  frechet: numOrNull,
  /** Mean max softmax probability of the classifier on generated samples. */
  confidence: numOrNull,
  /** Entropy (nats) of the predicted-class histogram of the samples; ln 10 = 2.303 is uniform. */
  classEntropy: numOrNull,
  /** Sound product upper bound on the critic's L2 Lipschitz constant (operator norms). */
  lipUpper: numOrNull,
  /** Same with the reshaped-kernel σ of convolutions (what SN normalizes; not a sound bound). */
  lipUpperReshaped: numOrNull,
  powerIterTol: numOrNull,
  /** max ‖∇ₓD‖ over real, generated and interpolated points: lower bounds on the Lipschitz constant. */
  lipLowerReal: numOrNull,
  lipLowerFake: numOrNull,
  lipLowerInterp: numOrNull,
  /** mean ‖∇ₓD‖ at interpolates (what the gradient penalty pushes towards 1). */
  gradNormMeanInterp: numOrNull,
  backend: z.string(),
  /** Sample grid of this epoch, relative to the experiment's results folder. */
  samples: z.string(),
});
export type WganRow = z.infer<typeof WganRow>;

export const VerdictRow = z.object({
  claim: z.string(),
  metric: z.string(),
  /** e.g. "gp − sn, paired by seed". */
  comparison: z.string(),
  rule: z.string(),
  baselineMean: numOrNull,
  candidateMean: numOrNull,
  /** Mean of the per-seed differences (positive favours the claim). */
  difference: numOrNull,
  lo: numOrNull,
  hi: numOrNull,
  seeds: z.number().int(),
  verdict: z.enum(['supported', 'not supported', 'inconclusive']),
});
export type VerdictRow = z.infer<typeof VerdictRow>;

export const WGAN_CSV = 'wgan.csv';
export const VERDICTS_CSV = 'wgan-verdicts.csv';

/** Non-finite numbers become null (an empty cell), so every written file reads back. */
export function sanitizeRow<T extends Record<string, unknown>>(row: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
  return out as T;
}

/** wgan.csv of these rows, as the run store writes it (see WganStore). */
export function wganCsvFile(dir: string, rows: readonly WganRow[]): CsvFile {
  return { file: path.join(dir, WGAN_CSV), data: toCsv(WganRow, rows.map(sanitizeRow)) };
}

export function writeWganRows(dir: string, rows: readonly WganRow[]): string {
  const out = wganCsvFile(dir, rows);
  writeFileAtomic(out.file, out.data);
  return out.file;
}

export function readWganRows(dir: string): WganRow[] {
  const file = path.join(dir, WGAN_CSV);
  if (!fs.existsSync(file)) throw new Error(`${dir}: no ${WGAN_CSV} here; run a WGAN experiment first`);
  return parseTable(file, fs.readFileSync(file, 'utf8'), WganRow);
}

export function writeVerdicts(dir: string, rows: readonly VerdictRow[]): string {
  const file = path.join(dir, VERDICTS_CSV);
  writeFileAtomic(file, toCsv(VerdictRow, rows.map(sanitizeRow)));
  return file;
}

/** The verdict rows of a WGAN results folder ([] if there is no wgan-verdicts.csv yet). */
export function readVerdicts(dir: string): VerdictRow[] {
  const file = path.join(dir, VERDICTS_CSV);
  if (!fs.existsSync(file)) return [];
  return parseTable(file, fs.readFileSync(file, 'utf8'), VerdictRow);
}
