// Loads lipbench's own TypeScript modules (ESM, NodeNext, run by tsx) into a tslab kernel.
//
// tslab compiles each cell to CommonJS and runs it as a vm script, where `import()` is
// unavailable (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING) and `import` statements become
// `require()`. A real module like this one can still call `import()`: it registers tsx's
// ESM loader once (the same loader `npm start` runs under) and imports `src/*.ts` by
// file URL, so notebooks use exactly the modules the CLI uses, one instance each.
//
// What comes back is untyped (`any`) on purpose: tslab type-checks every .ts file a cell's
// types reach with its own compiler settings (TypeScript 5.0, not strict, node10
// resolution), under which zod's inferred row types and vega-lite's exports-only typings
// break, so `typeof import('../src/...')` in a cell fails to compile. src/ itself is
// type-checked by `npm run typecheck`.
'use strict';
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const root = path.resolve(__dirname, '..', '..');
let registered;

/** Import a module of this repo by its path from the repo root, e.g. 'src/results/csv.ts'. */
async function loadSrc(relPath) {
  registered ??= import('tsx/esm/api').then((api) => {
    api.register();
  });
  await registered;
  return import(pathToFileURL(path.join(root, relPath)).href);
}

module.exports = { loadSrc, root };
