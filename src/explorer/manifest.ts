/**
 * What the harness hands the explorer page (src/explorer/write.ts writes it, the page in
 * src/explorer/page/ reads it), and the envelope of every data file beside the page.
 *
 * Chromium refuses fetch() and XHR from file:// pages, and module scripts too, so every
 * asset is a classic script that registers its payload under a key in
 * `window.lipbenchExplorerAssets`; binary payloads (weights, digit pixels, wasm) travel
 * as base64 of the raw bytes, which keeps them compact and loadable from any static
 * server as well. Node-free: both sides import this file.
 */

/** The global the asset scripts fill. */
export const ASSETS_GLOBAL = 'lipbenchExplorerAssets';

/** Folder beside explorer.html that holds the bundle and the data scripts. */
export const EXPLORER_ASSETS_DIR = 'explorer-assets';

export const EXPLORER_FILE = 'explorer.html';

/** The ℓ2 certified accuracy the harness measured at one ε (attacks.csv, l2 rows). */
export interface CertifiedAt {
  readonly eps: number;
  /** margin/(√2·L); null when the run had no Lipschitz stage. */
  readonly global: number | null;
  readonly pairwise: number | null;
  readonly crown: number | null;
}

/** One layer's operator norm as the harness measured it (layers.csv). */
export interface LayerSigma {
  readonly layer: string;
  readonly kind: string;
  readonly sigma: number;
}

/** One trained model of the experiment, as the page lists it. */
export interface ExplorerModel {
  /** Asset key of the model's data script. */
  readonly key: string;
  /** File name of that script inside explorer-assets/. */
  readonly file: string;
  readonly runId: string;
  /** Method label with λ, e.g. "spectral λ=0.02". */
  readonly label: string;
  readonly method: string;
  readonly lambda: number;
  readonly model: string;
  readonly seed: number;
  readonly dataset: string;
  readonly testAcc: number | null;
  /** The product upper bound of the logit map (results.csv lipUpper), the certificate's L. */
  readonly lipUpper: number | null;
  /** Largest gradient norm seen at test points (results.csv lipLowerGrad). */
  readonly lipLowerGrad: number | null;
  readonly certified: readonly CertifiedAt[];
  readonly layers: readonly LayerSigma[];
  /** Power-iteration settings the harness used, so the page's own bounds match. */
  readonly powerIteration: { readonly tol: number; readonly maxIters: number; readonly seed: number };
}

/** An attack the page offers: a registry name, its norm, and the experiment's options for it. */
export interface ExplorerAttack {
  readonly name: string;
  readonly label: string;
  readonly norm: 'linf' | 'l2';
  /** Options from the experiment's config when it ran this attack, else {}. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Whether the attack takes a step count. */
  readonly hasSteps: boolean;
  readonly defaultSteps: number;
}

export interface ExplorerManifest {
  readonly version: 1;
  readonly experiment: string;
  readonly description: string;
  readonly generatedAt: string;
  readonly models: readonly ExplorerModel[];
  readonly attacks: readonly ExplorerAttack[];
  /** Test digits, or null when the experiment's dataset cannot be shipped (see `note`). */
  readonly digits: { readonly key: string; readonly file: string; readonly dataset: string; readonly count: number } | null;
  readonly wasm: { readonly simd: { key: string; file: string }; readonly plain: { key: string; file: string } };
  /** Why something is missing (a dataset without digits, runs without saved models). */
  readonly notes: readonly string[];
}

/** A saved model as its data script carries it: the model.json fields plus the weight bytes. */
export interface ModelAsset {
  readonly modelTopology: unknown;
  readonly weightSpecs: unknown;
  readonly weightsBase64: string;
}

/** Test images as uint8 pixels (row-major NHWC) and uint8 labels, both base64. */
export interface DigitsAsset {
  readonly count: number;
  readonly shape: readonly [number, number, number];
  readonly pixelsBase64: string;
  readonly labelsBase64: string;
}

/** The body of a data script: registers `payload` under `key`. */
export function assetScript(key: string, payload: unknown): string {
  // JSON is a JS expression; escaping '<' keeps a stray "</script" harmless if inlined.
  const json = JSON.stringify(payload).replace(/</g, '\\u003c');
  return `(window.${ASSETS_GLOBAL} = window.${ASSETS_GLOBAL} || {})[${JSON.stringify(key)}] = ${json};\n`;
}
