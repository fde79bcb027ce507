/**
 * What bench.ts (the light parent) and child.ts (which loads tfjs) share. Kept apart from
 * child.ts because importing that file runs the workloads.
 */

/** The lipbench backend configurations a child process can run. */
export const CONFIGS = ['wasm', 'wasm+lipbench', 'wasm+native', 'cpu'] as const;
export type Config = (typeof CONFIGS)[number];

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
