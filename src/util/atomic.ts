/**
 * Atomic file replacement: write a unique temporary sibling, fsync, rename.
 * rename(2) within one directory is atomic on POSIX filesystems, so readers (an open
 * report, another process) and a crash at any moment see either the old file or the
 * new one, never half of one. The temporary is removed if anything fails.
 *
 * write(2) may write fewer bytes than asked (a full disk writes up to the last free
 * block, then fails on the next call), so every write loops until all bytes are out;
 * a short write that was ignored once renamed a truncated epochs.csv into place.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EnvironmentError, isEnvironmentFault } from './errors.js';

/** Every temporary this module creates ends with this suffix (see removeStaleTemps). */
export const TMP_SUFFIX = '.tmp';

/** Turn a full-disk / permission / read-only fault into one line naming the path. */
export function asEnvironmentError(err: unknown, file: string): unknown {
  if (err instanceof EnvironmentError) return err;
  return isEnvironmentFault(err) ? EnvironmentError.from(err, file) : err;
}

/**
 * mkdir -p that reports the real cause: recursive mkdir answers ENOENT on a
 * read-only mount, so on ENOENT the first missing level is created on its own to
 * surface EROFS/EACCES.
 */
export function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      let missing = path.resolve(dir);
      while (!fs.existsSync(path.dirname(missing)) && path.dirname(missing) !== missing) missing = path.dirname(missing);
      try {
        fs.mkdirSync(missing);
      } catch (inner) {
        throw asEnvironmentError(inner, missing);
      }
      return ensureDir(dir);
    }
    throw asEnvironmentError(err, dir);
  }
}

/**
 * Remove temporaries left in `dirs` (not recursive) by a process that was killed
 * between writing and renaming. Only call it on folders this process holds the lock
 * of: a live writer's temporary would be removed under its feet.
 */
export function removeStaleTemps(dirs: readonly string[]): number {
  let removed = 0;
  for (const d of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      if (n.startsWith('.') && n.endsWith(TMP_SUFFIX)) {
        fs.rmSync(path.join(d, n), { force: true });
        removed++;
      }
    }
  }
  return removed;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.byteLength) {
    const n = fs.writeSync(fd, bytes, off, bytes.byteLength - off);
    // write(2) returns 0 only when nothing can be written; looping would spin.
    if (!(n > 0)) throw Object.assign(new Error(`short write (${off} of ${bytes.byteLength} bytes)`), { code: 'ENOSPC' });
    off += n;
  }
}

function writeTemp(file: string, data: string | Uint8Array): string {
  ensureDir(path.dirname(file));
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}${TMP_SUFFIX}`);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    return tmp;
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw asEnvironmentError(err, file);
  }
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  writeFilesAtomic([{ file, data }]);
}

/**
 * Replace several files: every temporary is written and synced before the first
 * rename, so a full disk leaves all the old files in place, and the renames happen
 * in the given order (put the file readers treat as the commit point last).
 */
export function writeFilesAtomic(files: readonly { readonly file: string; readonly data: string | Uint8Array }[]): void {
  const temps: string[] = [];
  try {
    for (const f of files) temps.push(writeTemp(f.file, f.data));
    files.forEach((f, i) => {
      fs.renameSync(temps[i]!, f.file);
      temps[i] = '';
    });
  } catch (err) {
    for (const t of temps) if (t) fs.rmSync(t, { force: true });
    throw asEnvironmentError(err, files[temps.findIndex((t) => t !== '')]?.file ?? files[0]?.file ?? '?');
  }
}
