/**
 * A model of the experiment, loaded from its data script with the layer classes lipbench
 * registers (spectral-normalized and MaxMin layers), its softmax head removed as the
 * harness does (models/logit-head.ts), and its per-layer bounds measured by the harness's
 * power iteration with the harness's settings.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { lipschitzUpperBounds, type LipschitzBounds } from '../../lipschitz/bounds.js';
import '../../models/maxmin.js';
import '../../models/spectral-layers.js';
import { toLogitModel } from '../../models/logit-head.js';
import type { ExplorerModel, ModelAsset } from '../manifest.js';
import { base64ToBytes, loadAsset } from './assets.js';

export interface LoadedModel {
  readonly entry: ExplorerModel;
  readonly model: tfl.LayersModel;
  readonly shape: readonly [number, number, number];
  /** Null when the bound registry cannot handle a layer (the reason is in boundsError). */
  readonly bounds: LipschitzBounds | null;
  readonly boundsError?: string;
  readonly headNote: string;
  readonly loadMs: number;
}

const cache = new Map<string, Promise<LoadedModel>>();

async function load(entry: ExplorerModel): Promise<LoadedModel> {
  const t0 = performance.now();
  const asset = await loadAsset<ModelAsset>(entry.key, entry.file);
  const bytes = base64ToBytes(asset.weightsBase64);
  const loaded = await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: asset.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: asset.weightSpecs as tf.io.WeightsManifestEntry[],
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    }),
  );
  const head = await toLogitModel(loaded);
  const inShape = head.model.inputs[0]!.shape.slice(1);
  if (inShape.length !== 3 || inShape.some((d) => d === null)) throw new Error(`${entry.runId}: input shape [${inShape}] is not [height, width, channels]`);
  let bounds: LipschitzBounds | null = null;
  let boundsError: string | undefined;
  try {
    bounds = lipschitzUpperBounds(head.model, entry.powerIteration);
  } catch (e) {
    boundsError = (e as Error).message;
  }
  return {
    entry,
    model: head.model,
    shape: inShape as unknown as [number, number, number],
    bounds,
    ...(boundsError !== undefined ? { boundsError } : {}),
    headNote: head.note,
    loadMs: performance.now() - t0,
  };
}

export function loadModel(entry: ExplorerModel): Promise<LoadedModel> {
  let p = cache.get(entry.key);
  if (!p) {
    p = load(entry);
    cache.set(entry.key, p);
    p.catch(() => cache.delete(entry.key));
  }
  return p;
}
