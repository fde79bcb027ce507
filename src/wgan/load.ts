/**
 * Finds and validates a WGAN experiment: a name in experiments/ or a path to a .ts/.js
 * file exporting `experiment` (from defineWganExperiment) or a .json file. Every
 * failure is a UserError naming the file.
 */
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { readRaw, resolveSource } from '../config/load.js';
import { expandWganRuns, parseWganExperiment, type WganExperiment, type WganRunSpec } from './config.js';

export interface LoadedWganExperiment {
  readonly source: string;
  readonly config: WganExperiment;
  readonly runs: WganRunSpec[];
}

/** Whether a loaded experiment value is a WGAN experiment (kind: 'wgan'). */
export function isWganExperimentValue(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { kind?: unknown }).kind === 'wgan';
}

/** Whether the experiment file (name or path) defines a WGAN experiment. */
export async function isWganExperiment(ref: string): Promise<boolean> {
  return isWganExperimentValue(await readRaw(resolveSource(ref)));
}

export async function loadWganExperiment(ref: string): Promise<LoadedWganExperiment> {
  const file = resolveSource(ref);
  const source = path.relative(process.cwd(), file) || file;
  const raw = await readRaw(file);
  if (!isWganExperimentValue(raw)) throw new UserError(`${source}: not a WGAN experiment (expected kind: 'wgan'; use \`lipbench run\` for classifier experiments)`);
  const config = parseWganExperiment(source, raw);
  return { source, config, runs: expandWganRuns(config) };
}
