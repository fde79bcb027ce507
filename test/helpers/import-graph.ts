/**
 * Reads the imports of TypeScript sources as text and checks them against src/layers.ts.
 * Kept apart from the test so the test can run the same check on fixture sources too.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';
import { LAYERS, NODE_ONLY_PACKAGES, type Layer } from '../../src/layers.js';

/** Drops comments, so that a specifier or `process.` quoted in prose does not count. */
export function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Every module specifier a source names: static imports and re-exports (type-only too), side-effect imports, import() with a literal. */
export function importsOf(source: string): string[] {
  const code = stripComments(source);
  const out: string[] = [];
  for (const re of [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]) {
    for (const m of code.matchAll(re)) out.push(m[1]!);
  }
  return out;
}

const BUILTINS = new Set(builtinModules);

/** `node:*`, a Node built-in (`fs`, `fs/promises`) or a package that needs Node. */
export function isNodeOnly(spec: string): boolean {
  if (spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]!)) return true;
  return NODE_ONLY_PACKAGES.some((p) => spec === p || spec.startsWith(`${p}/`));
}

/** The layer of a file under src/ (path relative to the repository, with forward slashes). */
export function layerOf(file: string, layers: readonly Layer[] = LAYERS): { layer: Layer; rank: number } | undefined {
  const top = file.replace(/^src\//, '').split('/')[0]!;
  const rank = layers.findIndex((l) => l.name === top);
  return rank < 0 ? undefined : { layer: layers[rank]!, rank };
}

/** The file a relative specifier names (`./x.js` is the source `./x.ts`), or undefined for a package. */
export function resolveSpecifier(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  return path.posix.normalize(path.posix.join(path.posix.dirname(from), spec)).replace(/\.js$/, '.ts');
}

/** Uses of Node's globals in code (comments do not count). */
const NODE_GLOBALS = /\b(process\.|Buffer\b|__dirname\b|__filename\b|createRequire\b)/;

/**
 * Every layer violation in a set of sources (path -> text, paths like `src/attacks/x.ts`):
 * a file that is under no layer, an import of a higher layer, and a core file that uses
 * Node's globals or reaches a Node-only module through its imports (the chain is named).
 */
export function layerViolations(sources: ReadonlyMap<string, string>, layers: readonly Layer[] = LAYERS): string[] {
  const out: string[] = [];
  const graph = new Map<string, { files: string[]; nodeOnly: string[] }>();
  for (const [file, text] of sources) {
    const specs = importsOf(text);
    graph.set(file, {
      files: specs.map((s) => resolveSpecifier(file, s)).filter((f): f is string => f !== undefined),
      nodeOnly: specs.filter(isNodeOnly),
    });
  }
  for (const [file, { files }] of graph) {
    const me = layerOf(file, layers);
    if (!me) {
      out.push(`${file}: in no layer of src/layers.ts`);
      continue;
    }
    for (const target of files) {
      if (!target.startsWith('src/')) continue;
      const them = layerOf(target, layers);
      if (them && them.rank > me.rank) out.push(`${file}: imports ${target}, a higher layer (${me.layer.name} may not import ${them.layer.name})`);
    }
  }
  // Core and browser files: no Node globals, and no Node-only module anywhere in their import closure.
  const reach = new Map<string, string[] | null>(); // file -> chain to a Node-only import, or null
  const chainFrom = (file: string, seen: Set<string>): string[] | null => {
    if (reach.has(file)) return reach.get(file)!;
    const node = graph.get(file);
    if (!node || seen.has(file)) return null;
    seen.add(file);
    let chain: string[] | null = node.nodeOnly.length > 0 ? [file, node.nodeOnly[0]!] : null;
    for (const next of node.files) {
      if (chain) break;
      const c = chainFrom(next, seen);
      if (c) chain = [file, ...c];
    }
    reach.set(file, chain);
    return chain;
  };
  for (const [file, text] of sources) {
    const tier = layerOf(file, layers)?.layer.tier;
    if (tier !== 'core' && tier !== 'browser') continue;
    const g = stripComments(text).match(NODE_GLOBALS);
    if (g) out.push(`${file}: ${tier} file uses Node's ${g[1]!.replace(/\.$/, '')}`);
    const chain = chainFrom(file, new Set());
    if (chain) out.push(`${file}: ${tier} file reaches a Node-only module: ${chain.join(' -> ')}`);
  }
  return out;
}
