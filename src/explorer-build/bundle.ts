/**
 * The explorer page's script: src/explorer/page/main.ts with tfjs and lipbench's core
 * bundled by esbuild into one classic script (file:// pages cannot load modules).
 *
 * The bundle must run in a browser, so a Node built-in imported from lipbench's own code
 * fails the build with the importer's name instead of producing a page that dies on
 * load. (Packages that map a built-in to `false` in their "browser" field, as seedrandom
 * does for crypto, are fine: that is their declared browser behaviour.)
 *
 * Bundling takes a second or two; the result is cached under node_modules/.cache by a
 * hash of every source file under src/, the lock file and esbuild's version, so `lipbench
 * run` and `charts` pay for it once per code change.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRC = path.resolve(HERE, '..');
const ROOT = path.resolve(SRC, '..');
export const PAGE_ENTRY = path.join(SRC, 'explorer', 'page', 'main.ts');

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out.sort();
}

async function esbuildVersion(): Promise<string> {
  return (await import('esbuild')).version;
}

/** Hash of everything the bundle can depend on. */
export async function bundleKey(): Promise<string> {
  const h = createHash('sha256');
  h.update(await esbuildVersion());
  for (const f of [...sourceFiles(SRC), path.join(ROOT, 'package-lock.json')]) {
    h.update(path.relative(ROOT, f));
    h.update('\0');
    h.update(fs.existsSync(f) ? fs.readFileSync(f) : '');
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

function cacheDir(): string {
  const preferred = path.join(ROOT, 'node_modules', '.cache', 'lipbench-explorer');
  try {
    fs.mkdirSync(preferred, { recursive: true });
    fs.accessSync(preferred, fs.constants.W_OK);
    return preferred;
  } catch {
    const fallback = path.join(os.tmpdir(), 'lipbench-explorer-cache');
    fs.mkdirSync(fallback, { recursive: true });
    return fallback;
  }
}

const browserOnly: Plugin = {
  name: 'lipbench-browser-only',
  setup(build) {
    build.onResolve({ filter: /^[a-z_:]+(\/[a-z_]+)?$/ }, (args) => {
      if (!BUILTINS.has(args.path)) return undefined;
      if (args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      return { errors: [{ text: `Node built-in "${args.path}" imported by ${path.relative(ROOT, args.importer)}: the explorer runs in a browser, so the core it imports must be Node-free` }] };
    });
  },
};

/** Bundles the page (no cache). Throws with esbuild's messages, naming files, on failure. */
export async function buildPageBundle(entry: string = PAGE_ENTRY): Promise<string> {
  const esbuild = await import('esbuild');
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2020',
      minify: true,
      write: false,
      logLevel: 'silent',
      legalComments: 'none',
      plugins: [browserOnly],
    });
  } catch (e) {
    const errors = (e as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
    if (errors?.length) {
      throw new Error(`explorer bundle failed:\n${errors.map((m) => `  ${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`).join('\n')}`);
    }
    throw e;
  }
  return result.outputFiles[0]!.text;
}

/** The page bundle, from the cache when the sources are unchanged. */
export async function pageBundle(): Promise<{ code: string; cached: boolean }> {
  const file = path.join(cacheDir(), `explorer-${await bundleKey()}.js`);
  if (fs.existsSync(file)) return { code: fs.readFileSync(file, 'utf8'), cached: true };
  const code = await buildPageBundle();
  // A private temporary then rename: two processes bundling at once both end with a whole file.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, code);
  fs.renameSync(tmp, file);
  return { code, cached: false };
}
