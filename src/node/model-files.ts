/**
 * Save and load tfjs LayersModels in the standard `model.json` + `weights.bin`
 * layout with plain `fs`, so it works on every backend (tfjs-node's `file://`
 * handler exists only where tfjs-node loads). Files are written to a temporary
 * name and renamed, so a crash never leaves a model.json pointing at missing weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
// Registers the custom layer classes (SNDense, SNConv2D) so their saved models load.
import '../models/spectral-layers.js';
import '../models/maxmin.js';

const WEIGHTS_FILE = 'weights.bin';

function concatBuffers(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), off);
    off += p.byteLength;
  }
  return out;
}

export function fileSaveHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      fs.mkdirSync(dir, { recursive: true });
      const weights = artifacts.weightData ? concatBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]) : new Uint8Array();
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
        convertedBy: 'lipbench',
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      // Weights first: model.json appearing is what marks the model as complete.
      writeFileAtomic(path.join(dir, WEIGHTS_FILE), weights);
      writeFileAtomic(path.join(dir, 'model.json'), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: weights.byteLength,
        },
      };
    },
  };
}

const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/** Bytes the manifest's weights occupy, or undefined when a dtype's size is not fixed (strings). */
function expectedWeightBytes(specs: readonly tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const s of specs) {
    const per = DTYPE_BYTES[s.quantization?.dtype ?? s.dtype];
    if (per === undefined) return undefined;
    total += s.shape.reduce((a, b) => a * b, 1) * per;
  }
  return total;
}

export function fileLoadHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      let text: string;
      try {
        text = fs.readFileSync(modelJsonPath, 'utf8');
      } catch (e) {
        throw new Error(`${modelJsonPath}: cannot read model (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(text) as tf.io.ModelJSON;
      } catch {
        // JSON.parse's message quotes the file's contents, newlines and all.
        throw new Error(`${modelJsonPath}: not a tfjs model.json (not valid JSON)`);
      }
      if (json === null || typeof json !== 'object') throw new Error(`${modelJsonPath}: not a tfjs model.json (not a JSON object)`);
      if (!json.modelTopology) throw new Error(`${modelJsonPath}: field "modelTopology" is missing`);
      if (!Array.isArray(json.weightsManifest)) throw new Error(`${modelJsonPath}: field "weightsManifest" is missing`);
      const dir = path.dirname(modelJsonPath);
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const file = path.join(dir, p);
          try {
            buffers.push(fs.readFileSync(file));
          } catch (e) {
            throw new Error(`${file}: cannot read weights listed in ${modelJsonPath} (${(e as NodeJS.ErrnoException).code})`);
          }
        }
      }
      // tfjs would report a short file as "the tensor should have N values but has M",
      // naming neither file, and would accept extra bytes silently.
      const expected = expectedWeightBytes(specs);
      const got = buffers.reduce((n, b) => n + b.byteLength, 0);
      if (expected !== undefined && got !== expected) {
        const files = json.weightsManifest.flatMap((g) => g.paths.map((p) => path.join(dir, p))).join(', ');
        throw new Error(`${files}: ${got} bytes, but ${modelJsonPath} lists ${expected} bytes of weights (${got < expected ? 'truncated' : 'extra bytes'}; not this model's weights?)`);
      }
      const all = concatBuffers(buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer));
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: specs,
        weightData: all.buffer as ArrayBuffer,
        ...(json.trainingConfig ? { trainingConfig: json.trainingConfig } : {}),
        ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
      };
    },
  };
}

export async function saveModel(model: tfl.LayersModel, dir: string): Promise<void> {
  await model.save(fileSaveHandler(dir));
}

/** Load any tfjs LayersModel from its model.json (ours or a user's). */
export async function loadModel(modelJsonPath: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(fileLoadHandler(modelJsonPath));
}
