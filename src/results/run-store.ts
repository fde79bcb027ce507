/**
 * Per-run records are the source of truth; the CSVs are views rebuilt from them.
 *
 *   results/<exp>/runs/<runId>/model/          the trained model (model.json + weights.bin)
 *   results/<exp>/runs/<runId>/train.json      training outcome (written once the model is saved)
 *   results/<exp>/runs/<runId>/record.json     every row of the run (written last = run done)
 *
 * Each file is replaced atomically, and every CSV is rewritten whole from the records
 * after each run. So a kill at any moment loses at most the run in progress, a row
 * can never be half-written, and a rerun can never duplicate a row: a run is either
 * in the records once or not at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, writeFilesAtomic } from '../util/atomic.js';
import { tableFiles } from './csv.js';
import type { AttackRow, EpochRow, FailureRow, LayerRow, RunRow } from './rows.js';

export interface TrainRecord {
  readonly version: 1;
  readonly runId: string;
  readonly backend: string;
  /** BackendInfo.threads at training time; absent in records written before it existed. */
  readonly threads?: number | null;
  readonly trainSeconds: number;
  readonly epochs: EpochRow[];
}

export interface RunRecord {
  readonly version: 1;
  readonly runId: string;
  /** Hash of the evaluation settings (attacks, Lipschitz options); a change re-evaluates without retraining. */
  readonly evalKey: string;
  readonly result: RunRow;
  readonly attacks: AttackRow[];
  readonly layers: LayerRow[];
  readonly epochs: EpochRow[];
  /** Per ensemble row: which member broke each attacked point (see pipeline/attack-stage.ts). */
  readonly ensembles?: ReadonlyArray<{ attack: string; eps: number; members: string[]; brokenBy: string }>;
}

/** A JSON run record, or undefined when absent; a corrupt one is an error naming the file. */
export function readJson<T>(file: string): T | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${file}: unreadable run record (${(e as Error).message}); delete it to redo that run`);
  }
}

/**
 * The per-run files every experiment kind keeps under runs/<runId>/: record.json (the
 * run is done) and failed.json, each replaced atomically. The classifier runs (RunStore)
 * and the WGAN runs (wgan/run.ts) share it; R and F are their record and failure types.
 */
export class RunFiles<R extends { readonly runId: string }, F extends { readonly runId: string }> {
  constructor(readonly dir: string) {}

  runDir(runId: string): string {
    return path.join(this.dir, 'runs', runId);
  }

  readRecord(runId: string): R | undefined {
    return readJson<R>(path.join(this.runDir(runId), 'record.json'));
  }
  writeRecord(rec: R): void {
    writeFileAtomic(path.join(this.runDir(rec.runId), 'record.json'), JSON.stringify(rec, null, 1));
  }

  readFailure(runId: string): F | undefined {
    return readJson<F>(path.join(this.runDir(runId), 'failed.json'));
  }
  writeFailure(f: F): void {
    writeFileAtomic(path.join(this.runDir(f.runId), 'failed.json'), JSON.stringify(f, null, 1));
  }
  clearFailure(runId: string): void {
    fs.rmSync(path.join(this.runDir(runId), 'failed.json'), { force: true });
  }

  /**
   * Rewrites the CSV views of `runIds` (in that order) from their records, all files in
   * one atomic step, in the order `views` gives them (the last is the commit point
   * readers trust). Runs without a record are left out; their failures, if recorded, are
   * handed to `views` too.
   */
  protected rebuild(runIds: readonly string[], views: (records: R[], failures: F[]) => readonly CsvFile[]): { runs: number; failures: number } {
    const recs = runIds.map((id) => this.readRecord(id)).filter((r): r is R => r !== undefined);
    const done = new Set(recs.map((r) => r.runId));
    const failures = runIds.filter((id) => !done.has(id)).map((id) => this.readFailure(id)).filter((f): f is F => f !== undefined);
    writeFilesAtomic(views(recs, failures));
    return { runs: recs.length, failures: failures.length };
  }
}

/** One CSV file of a results folder: where it goes and its whole text. */
export interface CsvFile {
  readonly file: string;
  readonly data: string;
}

/** The classifier runs: RunFiles plus the trained model, train.json, and the CSVs rebuilt from the records. */
export class RunStore extends RunFiles<RunRecord, FailureRow> {
  modelDir(runId: string): string {
    return path.join(this.runDir(runId), 'model');
  }
  modelJson(runId: string): string {
    return path.join(this.modelDir(runId), 'model.json');
  }

  readTrain(runId: string): TrainRecord | undefined {
    const rec = readJson<TrainRecord>(path.join(this.runDir(runId), 'train.json'));
    // A train record without its model (deleted by hand) means: train again.
    return rec && fs.existsSync(this.modelJson(runId)) ? rec : undefined;
  }
  writeTrain(rec: TrainRecord): void {
    writeFileAtomic(path.join(this.runDir(rec.runId), 'train.json'), JSON.stringify(rec, null, 1));
  }

  /**
   * Rewrite every CSV in `outDir` (default: the experiment folder) from the records of
   * `runIds`, in that order; runs without a record are left out, failed runs go to
   * failures.csv.
   */
  materialize(runIds: readonly string[], outDir = this.dir): { runs: number; failures: number } {
    // results.csv last: it is the commit point readers trust (see writeTables).
    return this.rebuild(runIds, (recs, failures) =>
      tableFiles(outDir, [
        ['failures', failures],
        ['attacks', recs.flatMap((r) => r.attacks)],
        ['layers', recs.flatMap((r) => r.layers)],
        ['epochs', recs.flatMap((r) => r.epochs)],
        ['results', recs.map((r) => r.result)],
      ]),
    );
  }
}
