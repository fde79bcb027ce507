/**
 * The browser's stand-in for src/kernels/native/addon.ts. The wasm kernel fixes ask
 * `activeNative()` whether lipbench's N-API addon should run their GEMMs; a page has no
 * addon, and addon.ts itself resolves the .node file with node:module, node:path and
 * node:url, so the explorer's bundler substitutes this module for it (src/explorer/bundle.ts).
 */
export type { NativeAddon, NativeInfo } from '../kernels/native/addon.js';
import type { NativeAddon } from '../kernels/native/addon.js';

export function activeNative(): NativeAddon | undefined {
  return undefined;
}
