/**
 * Charts and the report from a results folder's CSVs alone: nothing here needs the
 * models, so `lipbench charts` works on results copied from another machine.
 */
import { renderCharts, type RenderedChart } from '../charts/render.js';
import { writeReport } from '../charts/report.js';
import fs from 'node:fs';
import path from 'node:path';
import { readClaims } from '../claims/claims.js';
import { claimsSection } from '../charts/claimsSection.js';
import { UserError } from '../config/errors.js';
import { CLAIMS_FILE } from './claims-stage.js';
import { readTables, type Tables } from '../results/csv.js';

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
  await writeReport(dir, tables, charts, claims.length ? { sections: (d) => [claimsSection(claims), ...d] } : {});
  return charts;
}
