/**
 * The notebooks load src/ modules by path at run time (notebooks/lib/load-src.cjs), so
 * neither tsc nor the layer test sees them: a moved file or a renamed export only shows
 * when Jupyter executes the notebook (`npm run notebooks`, which needs Debian's Jupyter).
 * This test reads every code cell, finds each `await loadSrc('<path>')` binding and checks,
 * by importing the module, that the file exists and exports every name the notebook takes
 * from it (destructured names, and `alias.name` uses of a namespace binding).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(import.meta.dirname, '..');
const NOTEBOOK_DIR = path.join(ROOT, 'notebooks');

interface Binding {
  readonly notebook: string;
  readonly modulePath: string;
  /** Names the notebook reads from the module. */
  readonly names: readonly string[];
}

const LOAD = /(?:const|let)\s+(\{[^}]*\}|[A-Za-z_$][\w$]*)\s*=\s*await\s+loadSrc\(\s*'([^']+)'\s*\)/g;

/** Every loadSrc binding of one notebook's code, with the names used from it. */
export function notebookBindings(notebook: string, code: string): Binding[] {
  const out: Binding[] = [];
  for (const m of code.matchAll(LOAD)) {
    const target = m[1]!;
    const modulePath = m[2]!;
    let names: string[];
    if (target.startsWith('{')) {
      names = target
        .slice(1, -1)
        .split(',')
        .map((part) => part.split(':')[0]!.trim())
        .filter((n) => n.length > 0);
    } else {
      const uses = code.matchAll(new RegExp(`(?<![\\w$./'"-])${target.replace(/\$/g, '\\$')}\\.([A-Za-z_$][\\w$]*)`, 'g'));
      names = [...new Set([...uses].map((u) => u[1]!))];
    }
    out.push({ notebook, modulePath, names });
  }
  return out;
}

function codeOf(file: string): string {
  const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as { cells: { cell_type: string; source: string | string[] }[] };
  return nb.cells
    .filter((c) => c.cell_type === 'code')
    .map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source))
    .join('\n');
}

const notebooks = fs
  .readdirSync(NOTEBOOK_DIR)
  .filter((f) => f.endsWith('.ipynb'))
  .sort();

test('the binding finder sees destructured names and namespace uses (and so can fail)', () => {
  const code = "const { a, b: c } = await loadSrc('src/x.ts');\nconst ns = await loadSrc('src/y.ts');\nns.f(1); ns.g; other.ns.h;";
  assert.deepEqual(notebookBindings('t', code), [
    { notebook: 't', modulePath: 'src/x.ts', names: ['a', 'b'] },
    { notebook: 't', modulePath: 'src/y.ts', names: ['f', 'g'] },
  ]);
});

test('there are notebooks with loadSrc bindings to check', () => {
  assert.ok(notebooks.length >= 3, `notebooks found: ${notebooks.join(', ')}`);
  const total = notebooks.flatMap((f) => notebookBindings(f, codeOf(path.join(NOTEBOOK_DIR, f)))).length;
  assert.ok(total >= 10, `only ${total} loadSrc bindings found`);
});

for (const file of notebooks) {
  test(`${file}: every module it loads exists and exports what the notebook uses`, async () => {
    const bindings = notebookBindings(file, codeOf(path.join(NOTEBOOK_DIR, file)));
    const problems: string[] = [];
    for (const b of bindings) {
      const abs = path.join(ROOT, b.modulePath);
      if (!fs.existsSync(abs)) {
        problems.push(`${b.modulePath}: no such file`);
        continue;
      }
      const mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
      for (const name of b.names) if (!(name in mod)) problems.push(`${b.modulePath}: no export '${name}'`);
    }
    assert.deepEqual(problems, [], `${file}:\n  ${problems.join('\n  ')}`);
  });
}
