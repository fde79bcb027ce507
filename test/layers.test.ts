/**
 * The layering of src/ (src/layers.ts): every import points down, and the core reaches
 * no Node-only module. The fixture tests show the check catches each kind of violation.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { importsOf, layerViolations } from './helpers/import-graph.js';

function readSrc(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.set(p.split(path.sep).join('/'), fs.readFileSync(p, 'utf8'));
    }
  };
  walk('src');
  return out;
}

test('every import in src/ points down its layers and the core reaches no Node-only module', () => {
  const sources = readSrc();
  assert.ok(sources.size > 150, `read ${sources.size} files of src/`);
  assert.deepEqual(layerViolations(sources), []);
});

test('the import reader sees every form of import, and none in comments', () => {
  const src = [
    "import * as tf from '@tensorflow/tfjs-core';",
    "import type { A,\n  B } from '../x/a.js';",
    "export { c } from './c.js';",
    "import './side.js';",
    "const m = await import('./lazy.js');",
    "// import { no } from '../commented.js';",
    "/* import '../block.js'; */",
  ].join('\n');
  assert.deepEqual(importsOf(src).sort(), ['../x/a.js', './c.js', './lazy.js', './side.js', '@tensorflow/tfjs-core'].sort());
});

test('the check catches an import that runs up, a Node import in the core, and one reached through util', () => {
  const clean = new Map([
    ['src/util/rng.ts', 'export const r = 1;'],
    ['src/models/mlp.ts', "import { r } from '../util/rng.js';"],
    ['src/pipeline/run.ts', "import fs from 'node:fs';\nimport { r } from '../util/rng.js';\nimport '../models/mlp.js';"],
  ]);
  assert.deepEqual(layerViolations(clean), []);

  const up = new Map([...clean, ['src/models/bad.ts', "import type { X } from '../pipeline/run.js';"]]);
  assert.match(layerViolations(up).join('\n'), /src\/models\/bad\.ts: imports src\/pipeline\/run\.ts, a higher layer/);

  const nodeInCore = new Map([...clean, ['src/attacks/bad.ts', "import path from 'path';"]]);
  assert.match(layerViolations(nodeInCore).join('\n'), /src\/attacks\/bad\.ts: core file reaches a Node-only module: src\/attacks\/bad\.ts -> path/);

  const nodeInPage = new Map([...clean, ['src/explorer/page/bad.ts', "import '../../models/mlp.js';\nimport fs from 'node:fs';"]]);
  assert.match(layerViolations(nodeInPage).join('\n'), /src\/explorer\/page\/bad\.ts: browser file reaches a Node-only module/);
  const pageImportsHarness = new Map([...clean, ['src/explorer/bad.ts', "import '../pipeline/run.js';"]]);
  assert.match(layerViolations(pageImportsHarness).join('\n'), /src\/explorer\/bad\.ts: imports src\/pipeline\/run\.ts, a higher layer/);

  const progressInCore = new Map([...clean, ['src/train/bad.ts', "import cliProgress from 'cli-progress';"]]);
  assert.equal(layerViolations(progressInCore).length, 1);

  const viaUtil = new Map([
    ...clean,
    ['src/util/atomic.ts', "import fs from 'node:fs';"],
    ['src/models/save.ts', "import { w } from '../util/atomic.js';"],
  ]);
  assert.match(layerViolations(viaUtil).join('\n'), /src\/models\/save\.ts -> src\/util\/atomic\.ts -> node:fs/);

  const globals = new Map([...clean, ['src/lipschitz/bad.ts', 'export const n = process.env.N; // process.argv in a comment is fine']]);
  assert.match(layerViolations(globals).join('\n'), /core file uses Node's process/);

  const stray = new Map([...clean, ['src/misc/x.ts', '']]);
  assert.match(layerViolations(stray).join('\n'), /src\/misc\/x\.ts: in no layer/);
});
