/**
 * Finds and validates a WGAN experiment: a name in experiments/ or a path to a .ts/.js
 * file exporting `experiment` (from defineWganExperiment) or a .json file. Every
 * failure is a UserError naming the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../config/errors.js';
import { EXPERIMENTS_DIR } from '../paths.js';
import { expandWganRuns, parseWganExperiment, type WganExperiment, type WganRunSpec } from './config.js';

export interface LoadedWganExperiment {
  readonly source: string;
  readonly config: WganExperiment;
  readonly runs: WganRunSpec[];
}

function resolveSource(ref: string): string {
  if (/[\\/]/.test(ref) || /\.(json|ts|js|mjs)$/.test(ref)) {
    const file = path.resolve(ref);
    if (!fs.existsSync(file)) throw new UserError(`${ref}: no such experiment file`);
    return file;
  }
  const file = path.join(EXPERIMENTS_DIR, `${ref}.ts`);
  if (!fs.existsSync(file)) throw new UserError(`unknown experiment "${ref}": no ${path.relative(process.cwd(), file)}`);
  return file;
}

async function readRaw(file: string): Promise<unknown> {
  if (file.endsWith('.json')) {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new UserError(`${file}: cannot read or parse JSON (${(e as Error).message})`);
    }
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`${file}: cannot load (${(e as Error).message.split('\n')[0]})`);
  }
  const cfg = mod['experiment'] ?? mod['default'];
  if (cfg === undefined) throw new UserError(`${file}: exports no \`experiment\` (use \`export const experiment = defineWganExperiment({...})\`)`);
  return cfg;
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
