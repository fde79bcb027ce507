/**
 * Charts and the report from a results folder's CSVs alone: nothing here needs the
 * models, so `lipbench charts` works on results copied from another machine.
 */
import { renderCharts, type RenderedChart } from '../charts/render.js';
import { writeReport } from '../charts/report.js';
import fs from 'node:fs';
import path from 'node:path';
import { readClaims } from '../claims/claims.js';
import { claimsSection } from '../charts/claims-section.js';
import { UserError } from '../util/errors.js';
import { explorerSection } from '../charts/explorer-section.js';
import { CLAIMS_FILE } from './claims-stage.js';
import { readTables, type Tables } from '../results/csv.js';
import { SavedConfig } from '../charts/settings.js';
import { shardDirs } from './merge.js';

/**
 * config.json beside the CSVs (after a merge, the first shard's: every shard saves the
 * same config), for the report's settings; null when absent or unreadable.
 */
export function readSavedConfig(dir: string): SavedConfig | null {
  const file = [path.join(dir, 'config.json'), ...shardDirs(dir).map((d) => path.join(d, 'config.json'))].find((f) => fs.existsSync(f));
  if (file === undefined) return null;
  try {
    const parsed = SavedConfig.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function renderResults(dir: string, log: (line: string) => void = (l) => console.log(l)): Promise<RenderedChart[]> {
  let tables: Tables;
  try {
    tables = readTables(dir);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const charts = await renderCharts(dir, tables, { log });
  const claimsFile = path.join(dir, CLAIMS_FILE);
  const claims = fs.existsSync(claimsFile) ? readClaims(claimsFile) : [];
  const saved = readSavedConfig(dir);
  const explorer = explorerSection(dir);
  // Claims go after the summary, before the details; the explorer link last.
  await writeReport(dir, tables, charts, {
    saved,
    sections: (d) => [d[0]!, ...(claims.length ? [claimsSection(claims)] : []), ...d.slice(1), ...(explorer ? [explorer] : [])],
  });
  return charts;
}
