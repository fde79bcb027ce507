/**
 * One writer per results folder. The lock file holds the owner's pid; a lock whose
 * process is gone (killed, crashed) is stale and is taken over, so an interrupted
 * experiment can always be resumed without manual cleanup.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../config/errors.js';
import { ensureDir } from './atomic.js';

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

export function acquireLock(dir: string): Lock {
  ensureDir(dir);
  const file = path.join(dir, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString() }));
      fs.closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        try {
          fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
      process.once('exit', release);
      // Under bin/lipbench.js's supervisor: it removes the lock if it has to kill this process.
      process.send?.({ lipbenchLock: file });
      return { file, release };
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
        throw new UserError(
          `${dir} is in use by process ${owner.pid}${sameHost ? '' : ` on ${owner.host}`} (lock ${file}); wait for it to finish, or delete the lock if that process is gone`,
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new UserError(`${file}: could not acquire the results lock`);
}
