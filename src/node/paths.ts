import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The lipbench checkout (this file is src/node/paths.ts): data/, experiments/ and results/ are resolved against it. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EXPERIMENTS_DIR = path.join(PROJECT_ROOT, 'experiments');
export const DATA_DIR = path.join(PROJECT_ROOT, 'data');
