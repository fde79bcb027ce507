/**
 * CSV in and out for the tidy tables. Writing goes through csv-writer's stringifier
 * with the column order fixed by the zod schema, then one atomic file replacement.
 * Reading converts cells by the schema's column types and validates each row, so a
 * hand-edited or truncated file fails with the file, line and field named.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createObjectCsvStringifier } from 'csv-writer';
import { z } from 'zod';
import { writeFileAtomic, writeFilesAtomic } from '../util/atomic.js';
import { TABLES, type TableName } from './rows.js';
import { UserError } from '../util/errors.js';
import { methodLabel, RegularizerSpec } from '../regularizers/index.js';

type Row = Record<string, unknown>;
type ColumnKind = 'number' | 'boolean' | 'string';

export function tableFile(dir: string, name: TableName): string {
  return path.join(dir, `${name}.csv`);
}

export function columnsOf(schema: z.ZodObject): string[] {
  return Object.keys(schema.shape);
}

function columnKind(t: z.ZodType): ColumnKind {
  let inner: z.ZodType = t;
  while (inner instanceof z.ZodNullable || inner instanceof z.ZodOptional || inner instanceof z.ZodDefault) {
    inner = (inner as z.ZodNullable<z.ZodType>).unwrap() as z.ZodType;
  }
  if (inner instanceof z.ZodNumber) return 'number';
  if (inner instanceof z.ZodBoolean) return 'boolean';
  return 'string';
}

function formatCell(v: unknown): string | number {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

export function toCsv(schema: z.ZodObject, rows: readonly Row[]): string {
  const cols = columnsOf(schema);
  const s = createObjectCsvStringifier({ header: cols.map((c) => ({ id: c, title: c })) });
  const records = rows.map((r) => Object.fromEntries(cols.map((c) => [c, formatCell(r[c])])));
  // stringifyRecords([]) is "\n" in csv-writer, which left a blank line after a lone header.
  return records.length === 0 ? `${cols.join(',')}\n` : s.getHeaderString() + s.stringifyRecords(records);
}

export function writeTable(dir: string, name: TableName, rows: readonly Row[]): string {
  const file = tableFile(dir, name);
  writeFileAtomic(file, toCsv(TABLES[name], rows));
  return file;
}

/**
 * Rewrite several tables of one folder together: all are written before any is
 * renamed, in the given order, so a full disk leaves the previous set whole. Callers
 * put results.csv last: it is the commit point, and readTables keeps only the other
 * tables' rows of runs it lists.
 */
export function writeTables(dir: string, tables: readonly (readonly [TableName, readonly Row[]])[]): void {
  writeFilesAtomic(tableFiles(dir, tables));
}

/** The files writeTables would write, in the same order. */
export function tableFiles(dir: string, tables: readonly (readonly [TableName, readonly Row[]])[]): { file: string; data: string }[] {
  return tables.map(([name, rows]) => ({ file: tableFile(dir, name), data: toCsv(TABLES[name], rows) }));
}

/** RFC 4180 records; quoted fields may hold commas, quotes and newlines. */
export function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      out.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    out.push(row);
  }
  return out;
}

function convert(cell: string, kind: ColumnKind): unknown {
  if (kind === 'string') return cell;
  if (cell === '') return null;
  if (kind === 'boolean') return cell === 'true' ? true : cell === 'false' ? false : cell;
  const n = Number(cell);
  return Number.isNaN(n) && cell !== 'NaN' ? cell : n;
}

/** Parse and validate CSV text against a table schema; `file` is used in messages. */
export function parseTable<S extends z.ZodObject>(file: string, text: string, schema: S): z.infer<S>[] {
  const records = parseCsv(text);
  if (records.length === 0) throw new Error(`${file}: empty file, expected a header row`);
  const header = records[0]!;
  const cols = columnsOf(schema);
  // Nullable columns added in later versions read as null from older files, and
  // columns with a default (absent → undefined) read as that default.
  const hasDefault = (c: string): boolean => schema.shape[c] instanceof z.ZodDefault;
  const missing = cols.filter((c) => !header.includes(c) && !hasDefault(c) && !(schema.shape[c] as z.ZodType).safeParse(null).success);
  if (missing.length) throw new Error(`${file}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  const kinds = Object.fromEntries(cols.map((c) => [c, columnKind(schema.shape[c] as z.ZodType)]));
  const rows: z.infer<S>[] = [];
  for (let i = 1; i < records.length; i++) {
    const rec = records[i]!;
    if (rec.length === 1 && rec[0] === '') continue;
    if (rec.length !== header.length) throw new Error(`${file}: line ${i + 1}: ${rec.length} fields, header has ${header.length}`);
    const obj: Row = Object.fromEntries(cols.filter((c) => !header.includes(c)).map((c) => [c, hasDefault(c) ? undefined : null]));
    header.forEach((h, j) => {
      if (h in kinds) obj[h] = convert(rec[j]!, kinds[h]!);
    });
    const parsed = schema.safeParse(obj);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${file}: line ${i + 1}: field "${issue.path.join('.')}": ${issue.message}`);
    }
    rows.push(parsed.data);
  }
  return rows;
}

/** Read one table from a results folder; a missing optional table reads as []. */
export function readTable<N extends TableName>(dir: string, name: N): z.infer<(typeof TABLES)[N]>[] {
  const file = tableFile(dir, name);
  if (!fs.existsSync(file)) return [];
  return parseTable(file, fs.readFileSync(file, 'utf8'), TABLES[name]) as z.infer<(typeof TABLES)[N]>[];
}

export interface Tables {
  results: z.infer<typeof TABLES.results>[];
  attacks: z.infer<typeof TABLES.attacks>[];
  layers: z.infer<typeof TABLES.layers>[];
  epochs: z.infer<typeof TABLES.epochs>[];
  failures: z.infer<typeof TABLES.failures>[];
}

/**
 * Files from before the `method` column: the label is derived again from the run's
 * full regularizer list in results.csv (the same function that writes it), so old
 * results folders still chart one series per method variant.
 */
export function fillMethods(tables: Tables): Tables {
  const byRun = new Map<string, string>();
  for (const r of tables.results) {
    if (r.method !== '') continue;
    let label = r.regularizer;
    try {
      const specs = z.array(RegularizerSpec).safeParse(JSON.parse(r.regularizers));
      if (specs.success) label = methodLabel(specs.data) || r.regularizer;
    } catch {
      // An unparseable list keeps the family name: coarser, but never wrong.
    }
    byRun.set(r.runId, label);
  }
  if (byRun.size === 0) return tables;
  const fill = <R extends { runId: string; regularizer: string; method: string }>(rows: R[]): R[] =>
    rows.map((row) => (row.method !== '' ? row : { ...row, method: byRun.get(row.runId) ?? row.regularizer }));
  return {
    results: fill(tables.results),
    attacks: fill(tables.attacks),
    layers: fill(tables.layers),
    epochs: fill(tables.epochs),
    failures: fill(tables.failures),
  };
}

export function readTables(dir: string): Tables {
  if (!fs.existsSync(tableFile(dir, 'results'))) throw new UserError(`${dir}: no results.csv here; run an experiment first`);
  const results = readTable(dir, 'results');
  // results.csv is renamed last (writeTables), so a reader that lands between two
  // renames, or after a kill there, still sees one set of runs: the one results.csv lists.
  const done = new Set(results.map((r) => r.runId));
  return fillMethods({
    results,
    attacks: readTable(dir, 'attacks').filter((r) => done.has(r.runId)),
    layers: readTable(dir, 'layers').filter((r) => done.has(r.runId)),
    epochs: readTable(dir, 'epochs').filter((r) => done.has(r.runId)),
    failures: readTable(dir, 'failures').filter((r) => !done.has(r.runId)),
  });
}
