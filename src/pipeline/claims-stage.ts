import fs from 'node:fs';
import path from 'node:path';
import { computeClaims } from '../claims/claims.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readTables, toCsv } from '../results/csv.js';
import { ClaimRow } from '../results/rows.js';

export const CLAIMS_FILE = 'claims.csv';

/**
 * Recompute claims.csv of an experiment folder from its CSVs (and, for the WGAN claim,
 * the sibling `mnist-wgan` results). Returns the rows written.
 */
export function writeClaims(dir: string): ClaimRow[] {
  const tables = readTables(dir);
  const experiment = tables.results[0]?.experiment ?? path.basename(dir);
  const wganDir = path.join(path.dirname(path.resolve(dir)), 'mnist-wgan');
  const claims = computeClaims(experiment, tables, { wganDir: fs.existsSync(wganDir) ? wganDir : undefined });
  writeFileAtomic(path.join(dir, CLAIMS_FILE), toCsv(ClaimRow, claims));
  return claims;
}
