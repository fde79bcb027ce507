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

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}

/** One line per problem: `source: field.path: message`, joined with '; '. */
export function formatZodError(source: string, err: z.ZodError, prefix: readonly PropertyKey[] = []): string {
  const parts = err.issues.map((i) => `${formatPath([...prefix, ...i.path])}: ${i.message}`);
  return `${source}: ${parts.join('; ')}`;
}
