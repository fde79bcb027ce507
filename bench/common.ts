/**
 * What bench.ts (the light parent) and child.ts (which loads tfjs) share, and the other
 * bench scripts' helpers. Kept apart from child.ts because importing that file runs the
 * workloads.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The lipbench backend configurations a child process can run. */
export const CONFIGS = ['wasm', 'wasm+lipbench', 'wasm+native', 'cpu'] as const;
export type Config = (typeof CONFIGS)[number];

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Untimed runs before each measurement of a workload after its first (whose warm-up is the
 * plan's full count): the process sat idle while the other side ran. peer_torch.py uses
 * the same count.
 */
export const REWARM = 2;

/** Prints a header and rows as left-aligned columns two spaces apart. */
export function printColumns(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
}

/**
 * Runs `main` when the module at `moduleUrl` is the script node was started with (not when
 * a test imports it); an error ends the process with one line, `name: message`, and exit 2.
 */
export function runAsScript(moduleUrl: string, name: string, main: () => void): void {
  if (!process.argv[1] || path.resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  try {
    main();
  } catch (e) {
    console.error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  }
}

/**
 * The bench scripts' `--name value` options: `opt` the value after `--name` (undefined when
 * absent), `int` a positive integer (the default when absent; an error names the option).
 */
export function argvOptions(argv: readonly string[]): { opt: (name: string) => string | undefined; int: (name: string, def: number) => number } {
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const int = (name: string, def: number): number => {
    const v = Number(opt(name) ?? def);
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${name}: expected a positive integer, got ${opt(name)}`);
    return v;
  };
  return { opt, int };
}
