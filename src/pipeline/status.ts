/** `lipbench status`: which runs of an experiment's grid are done, failed, trained only or missing. */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { RunStore } from '../results/run-store.js';
import { mainLambda, methodLabel, regularizerLabel } from '../regularizers/index.js';
import { readSavedConfig, shardDirs } from './merge.js';

export interface RunStatus {
  readonly runId: string;
  readonly index: number;
  readonly state: 'done' | 'failed' | 'trained' | 'missing';
  readonly detail: string;
  /** The run's method label and main λ, so a status line says which run it is. */
  readonly method: string;
  readonly lambda: number;
  readonly seed: number;
}

export function experimentStatus(dir: string): RunStatus[] {
  const candidates = [path.join(dir, 'config.json'), ...shardDirs(dir).map((d) => path.join(d, 'config.json'))];
  const cfgFile = candidates.find((f) => fs.existsSync(f));
  if (!cfgFile) throw new UserError(`${dir}: no config.json here; is this a results folder?`);
  const { runs } = readSavedConfig(cfgFile);
  const store = new RunStore(dir);
  return runs.map((r, index) => {
    const id = { runId: r.runId, index, method: methodLabel(r.regularizers) || regularizerLabel(r.regularizers), lambda: mainLambda(r.regularizers), seed: r.seed };
    const rec = store.readRecord(r.runId);
    if (rec) return { ...id, state: 'done', detail: `test acc ${(rec.result.testAcc * 100).toFixed(2)}%` };
    const failed = store.readFailure(r.runId);
    if (failed) return { ...id, state: 'failed', detail: failed.reason };
    if (store.readTrain(r.runId)) return { ...id, state: 'trained', detail: 'model saved, evaluation missing' };
    return { ...id, state: 'missing', detail: '' };
  });
}
