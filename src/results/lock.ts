/**
 * One writer per results folder, and one process per run. A lock file holds the
 * owner's pid; a lock whose process is gone (killed, crashed) is stale and is taken
 * over, so an interrupted experiment can always be resumed without manual cleanup.
 *
 * The folder lock (`.lock` beside the CSVs) keeps two processes from rebuilding the
 * same CSVs. Shards write their CSVs in their own folders, so that lock alone let
 * `run D` and `run D --shard 1/1` train the same run at once; run locks
 * (`<experiment>/.locks/<runId>.lock`) close that gap whatever the shard flags.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { ensureDir } from '../util/atomic.js';

export interface Lock {
  readonly file: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Locks this process holds, released together when it exits (one 'exit' listener for all). */
const held = new Set<string>();
let exitHook = false;

function releaseFile(file: string): void {
  if (!held.delete(file)) return;
  try {
    fs.unlinkSync(file);
  } catch {
    /* already gone */
  }
}

/** Take `file`, or throw a UserError built by `busy` from the live owner's pid and host. */
function acquireFile(file: string, busy: (owner: string) => string): Lock {
  ensureDir(path.dirname(file));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString() }));
      } finally {
        fs.closeSync(fd);
      }
      held.add(file);
      if (!exitHook) {
        exitHook = true;
        process.once('exit', () => {
          for (const f of [...held]) releaseFile(f);
        });
      }
      // Under bin/lipbench.js's supervisor: it removes the lock if it has to kill this process.
      process.send?.({ lipbenchLock: file });
      return { file, release: () => releaseFile(file) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner: { pid?: number; host?: string } = {};
      try {
        owner = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof owner;
      } catch {
        /* unreadable: treat as stale */
      }
      const sameHost = !owner.host || owner.host === os.hostname();
      if (owner.pid && (!sameHost || alive(owner.pid))) {
        throw new UserError(busy(`process ${owner.pid}${sameHost ? '' : ` on ${owner.host}`}`));
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new UserError(`${file}: could not acquire the lock`);
}

export function acquireLock(dir: string): Lock {
  const file = path.join(dir, '.lock');
  return acquireFile(file, (owner) => `${dir} is in use by ${owner} (lock ${file}); wait for it to finish, or delete the lock if that process is gone`);
}

/**
 * Lock every run this process will work on, before it writes anything. Two processes
 * whose grids overlap (an unsharded run and a shard, or shards of different counts)
 * cannot both start: the second is refused, naming the run and its owner. Locks are
 * taken in sorted order and nobody waits, so there is no deadlock.
 */
export function acquireRunLocks(experimentDir: string, runIds: readonly string[]): Lock {
  const taken: Lock[] = [];
  try {
    for (const id of [...runIds].sort()) {
      const file = path.join(experimentDir, '.locks', `${id}.lock`);
      taken.push(acquireFile(file, (owner) => `run ${id} of ${experimentDir} is in use by ${owner} (lock ${file}); wait for it, or run a shard that does not overlap`));
    }
  } catch (e) {
    for (const l of taken) l.release();
    throw e;
  }
  return { file: path.join(experimentDir, '.locks'), release: () => taken.forEach((l) => l.release()) };
}
