/** The WGAN experiment as a claim source: its verdict table, read for claims.csv's claim 7. */
import fs from 'node:fs';
import path from 'node:path';
import type { VerdictSource } from '../claims/claims.js';
import { readVerdicts, VERDICTS_CSV } from './rows.js';

/** The verdicts in a WGAN results folder; undefined when there is no such folder. */
export function wganVerdictSource(dir: string): VerdictSource | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const file = path.join(dir, VERDICTS_CSV);
  return { file, rows: fs.existsSync(file) ? readVerdicts(dir) : null };
}
