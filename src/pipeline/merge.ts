/**
 * `lipbench merge`: combine the CSVs that shard processes wrote under
 * `results/<exp>/shards/<k>-of-<n>/` into the experiment's own CSVs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { canonicalJson } from '../config/hash.js';
import type { RunSpec } from '../config/experiment.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readTables, writeTables, type Tables } from '../results/csv.js';
import type { TableName } from '../results/rows.js';

export interface SavedConfig {
  readonly runs: RunSpec[];
  readonly config?: { readonly claims?: boolean };
}

export function readSavedConfig(file: string): SavedConfig {
  try {
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as SavedConfig;
    if (!Array.isArray(c.runs)) throw new Error('field "runs" is missing');
    return c;
  } catch (e) {
    throw new UserError(`${file}: unreadable experiment config (${(e as Error).message})`);
  }
}

export function shardDirs(dir: string): string[] {
  const root = path.join(dir, 'shards');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((d) => /^\d+-of-\d+$/.test(d))
    .sort((a, b) => Number(a.split('-')[0]) - Number(b.split('-')[0]))
    .map((d) => path.join(root, d));
}

export interface MergeSummary {
  readonly shards: number;
  readonly runs: number;
  readonly failures: number;
  /** The experiment asks for the claims table. */
  readonly claims: boolean;
}

export function mergeShards(dir: string): MergeSummary {
  const shards = shardDirs(dir).filter((d) => fs.existsSync(path.join(d, 'results.csv')));
  if (shards.length === 0) throw new UserError(`${dir}: no shard results under shards/*/results.csv to merge`);
  const configs = shards.map((d) => readSavedConfig(path.join(d, 'config.json')));
  const gridOf = (c: SavedConfig) => canonicalJson(c.runs.map((r) => r.runId));
  const grid = gridOf(configs[0]!);
  configs.forEach((c, i) => {
    if (gridOf(c) !== grid) throw new UserError(`${shards[i]}: this shard ran a different grid than ${shards[0]}; rerun it with the same experiment before merging`);
  });
  const order = new Map(configs[0]!.runs.map((r, i) => [r.runId, i]));
  let tables: Tables[];
  try {
    tables = shards.map((d) => readTables(d));
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const owner = new Map<string, string>();
  tables.forEach((t, i) => {
    for (const id of [...t.results.map((r) => r.runId), ...t.failures.map((f) => f.runId)]) {
      const prev = owner.get(id);
      if (prev !== undefined && prev !== shards[i]) {
        throw new UserError(`run ${id} appears in both ${path.basename(prev)} and ${path.basename(shards[i]!)}; remove the stale shard folder before merging`);
      }
      owner.set(id, shards[i]!);
    }
    for (const id of t.results.map((r) => r.runId)) {
      if (!order.has(id)) throw new UserError(`${shards[i]}/results.csv: run ${id} is not in the experiment's grid`);
    }
  });
  const done = new Set(tables.flatMap((t) => t.results.map((r) => r.runId)));
  const byGrid = <R extends { runId: string }>(rows: R[]) => rows.sort((a, b) => order.get(a.runId)! - order.get(b.runId)!);
  // A stable sort by grid position keeps each run's rows in the order its shard wrote them.
  const merged = (name: TableName) => byGrid(tables.flatMap((t) => t[name] as { runId: string }[])) as Record<string, unknown>[];
  // A run that failed in one attempt and succeeded later is done, not failed.
  const failures = byGrid(tables.flatMap((t) => t.failures).filter((f) => !done.has(f.runId)));
  // results.csv last: the commit point readers trust (see writeTables).
  writeTables(dir, [['failures', failures], ['attacks', merged('attacks')], ['layers', merged('layers')], ['epochs', merged('epochs')], ['results', merged('results')]]);
  // The merged folder holds the whole grid: its config names no shard.
  const saved = JSON.parse(fs.readFileSync(path.join(shards[0]!, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify({ ...saved, shard: null }, null, 2));
  return { shards: shards.length, runs: done.size, failures: failures.length, claims: Boolean(configs[0]!.config?.claims) };
}
