/**
 * Find an experiment by name (`experiments/<name>.ts`) or by path (.ts, .js, .json)
 * and validate it. Every failure is a UserError naming the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXPERIMENTS_DIR } from '../node/paths.js';
import { UserError } from '../util/errors.js';
import { expandRuns, parseExperiment, quickVariant, type ExperimentConfig, type RunSpec } from './experiment.js';


export interface LoadedExperiment {
  readonly source: string;
  readonly config: ExperimentConfig;
  readonly runs: RunSpec[];
}

export function listExperiments(): string[] {
  if (!fs.existsSync(EXPERIMENTS_DIR)) return [];
  return fs
    .readdirSync(EXPERIMENTS_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** The experiment file a name or path refers to; a UserError when there is none. */
export function resolveSource(ref: string): string {
  const looksLikePath = /[\\/]/.test(ref) || /\.(json|ts|js|mjs)$/.test(ref);
  if (looksLikePath) {
    const file = path.resolve(ref);
    if (!fs.existsSync(file)) throw new UserError(`${ref}: no such experiment file`);
    return file;
  }
  const file = path.join(EXPERIMENTS_DIR, `${ref}.ts`);
  if (!fs.existsSync(file)) {
    throw new UserError(`unknown experiment "${ref}": no ${path.relative(process.cwd(), file)} (available: ${listExperiments().join(', ') || 'none'})`);
  }
  return file;
}

/** The raw experiment value of a .json file, or the `experiment` export of a .ts/.js file. */
export async function readRaw(file: string): Promise<unknown> {
  if (file.endsWith('.json')) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UserError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code})`);
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new UserError(`${file}: malformed JSON (${(e as Error).message})`);
    }
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`${file}: cannot load (${(e as Error).message.split('\n')[0]})`);
  }
  const cfg = mod['experiment'] ?? mod['default'];
  if (cfg === undefined) throw new UserError(`${file}: exports no \`experiment\` (use \`export const experiment = defineExperiment({...})\` or defineWganExperiment)`);
  return cfg;
}

export async function loadExperiment(ref: string, opts: { quick?: boolean } = {}): Promise<LoadedExperiment> {
  const file = resolveSource(ref);
  const source = path.relative(process.cwd(), file) || file;
  const raw = await readRaw(file);
  const config = parseExperiment(source, opts.quick ? quickVariant(source, raw) : raw);
  return { source, config, runs: expandRuns(source, config) };
}
