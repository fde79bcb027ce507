import path from 'node:path';
import { computeClaims } from '../claims/claims.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readTables, toCsv } from '../results/csv.js';
import { ClaimRow } from '../results/rows.js';
import { wganVerdictSource } from '../wgan/claim-source.js';

export const CLAIMS_FILE = 'claims.csv';

export interface WriteClaimsOptions {
  /**
   * Results folder of the WGAN experiment, the source of claim 7. Default: the sibling
   * folder `mnist-wgan`, where `npm run wgan` writes.
   */
  readonly wganDir?: string;
}

/** Recompute claims.csv of an experiment folder from its CSVs and the WGAN verdicts. Returns the rows written. */
export function writeClaims(dir: string, opts: WriteClaimsOptions = {}): ClaimRow[] {
  const tables = readTables(dir);
  const experiment = tables.results[0]?.experiment ?? path.basename(dir);
  const wganDir = opts.wganDir ?? path.join(path.dirname(path.resolve(dir)), 'mnist-wgan');
  const claims = computeClaims(experiment, tables, { wgan: wganVerdictSource(wganDir) });
  writeFileAtomic(path.join(dir, CLAIMS_FILE), toCsv(ClaimRow, claims));
  return claims;
}
