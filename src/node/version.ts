/** lipbench's version from package.json, without loading anything heavy (the CLI's --version uses it). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './paths.js';

export function lipbenchVersion(): string | null {
  try {
    const pkg: unknown = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
    return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : null;
  } catch {
    return null;
  }
}
