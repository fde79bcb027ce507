import type { z } from 'zod';

/**
 * An error caused by the user's input (config, paths, flags). The CLI prints its
 * message on one line and exits with code 2, without a stack trace.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Faults of the machine, not of the input: a full disk, missing permission, a read-only mount. */
const ENV_FAULTS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
};

export function isEnvironmentFault(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code in ENV_FAULTS;
}

/**
 * An environment fault while writing or reading `path`. The CLI prints its message
 * on one line and exits with code 1: the input was fine, the machine was not.
 */
export class EnvironmentError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'EnvironmentError';
  }

  static from(err: unknown, path: string): EnvironmentError {
    const code = String((err as { code?: unknown }).code);
    const op = (err as { syscall?: unknown }).syscall;
    return new EnvironmentError(`${path}: ${ENV_FAULTS[code] ?? code} (${code}${typeof op === 'string' ? ` on ${op}` : ''})`, path, code);
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}

type Issue = z.core.$ZodIssue;

/**
 * A union issue says only "Invalid input" at the union's path (`methods[0]` for
 * `lambda: "0.1"`). Descend into the branch that got furthest (the one whose
 * problems are deepest, not a type mismatch at the union itself) so that the message
 * names the field and what was wrong with it.
 */
function explain(issue: Issue, at: readonly PropertyKey[]): { path: PropertyKey[]; message: string } {
  const path = [...at, ...issue.path];
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { path, message: issue.message };
  const branches = issue.errors.filter((b) => b.length > 0).map((b) => explain(b[0]!, path));
  if (branches.length === 0) return { path, message: issue.message };
  return branches.reduce((best, b) => (b.path.length > best.path.length ? b : best));
}

/** One line per problem: `source: field.path: message`, joined with '; '. */
export function formatZodError(source: string, err: z.ZodError, prefix: readonly PropertyKey[] = []): string {
  const parts = err.issues.map((i) => {
    const e = explain(i, prefix);
    return `${formatPath(e.path)}: ${e.message}`;
  });
  return `${source}: ${parts.join('; ')}`;
}
