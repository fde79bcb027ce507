/**
 * Loader for the optional native addon (native/build/lipbench_native.node, built by
 * native/build.mjs at install time). Nothing here throws: a missing or broken addon is
 * reported as a one-line reason and lipbench stays on pure wasm.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingNativeFunctions, type NativeAddon } from '../kernels/native/addon.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** src/node -> repository root. */
export const ADDON_PATH = path.resolve(here, '..', '..', 'native', 'build', 'lipbench_native.node');

let loaded: { addon?: NativeAddon; why?: string } | undefined;

/** Loads the addon once per process; `why` says in one line why it is unavailable. */
export function loadNative(): { addon?: NativeAddon; why?: string } {
  if (loaded) return loaded;
  if (process.env.LIPBENCH_NATIVE === '0') return (loaded = { why: 'native addon disabled by LIPBENCH_NATIVE=0' });
  try {
    const require = createRequire(import.meta.url);
    const addon = require(ADDON_PATH) as NativeAddon;
    const missing = missingNativeFunctions(addon);
    if (missing.length > 0) {
      return (loaded = { why: `native addon is stale: it lacks ${missing.join(', ')} (rebuild with \`node native/build.mjs --force\`)` });
    }
    return (loaded = { addon });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'MODULE_NOT_FOUND'
      ? 'native addon not built (run `node native/build.mjs`)'
      : `native addon failed to load (${err.message.split('\n')[0]})`;
    return (loaded = { why });
  }
}
