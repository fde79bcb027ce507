/**
 * The fixed MNIST classifier that scores generated digits: a small CNN (models/cnn.ts)
 * trained once per settings and cached in tfjs format under
 * `<resultsRoot>/.cache/mnist-feature-classifier/<hash of settings>/`, so every run of
 * every experiment with the same settings is scored by the same network. Its
 * penultimate layer (the ReLU of the dense feature layer) gives the features for the
 * Fréchet distance; its softmax gives the confidence and the class histogram.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import fs from 'node:fs';
import path from 'node:path';
import { shortHash } from '../config/hash.js';
import { loadMnist } from '../node/mnist.js';
import { buildCnn } from '../models/cnn.js';
import { loadModel, saveModel } from '../node/model-files.js';
import { writeFileAtomic } from '../util/atomic.js';
import { evaluate } from '../train/evaluate.js';
import { trainModel } from '../train/loop.js';
import { TrainOptions } from '../train/options.js';
import type { FeatureClassifierSettings } from './config.js';

/** The name of the feature layer in models/cnn.ts (ReLU after the dense layer). */
const FEATURE_LAYER = 'relu_1';
const VERSION = 1;

export interface FeatureClassifier {
  readonly model: tfl.LayersModel;
  /** Two outputs: features [N, F] and logits [N, 10]. */
  readonly probe: tfl.LayersModel;
  readonly testAccuracy: number;
  readonly dir: string;
  readonly cached: boolean;
}

export interface ClassifierMeta {
  readonly version: number;
  readonly settings: FeatureClassifierSettings;
  readonly testAccuracy: number;
  readonly trainSeconds: number;
}

export function classifierDir(resultsRoot: string, settings: FeatureClassifierSettings): string {
  return path.join(resultsRoot, '.cache', 'mnist-feature-classifier', shortHash({ v: VERSION, settings }));
}

function probeOf(model: tfl.LayersModel): tfl.LayersModel {
  const feature = model.getLayer(FEATURE_LAYER);
  return tfl.model({ inputs: model.inputs, outputs: [feature.output as tfl.SymbolicTensor, model.outputs[0]!] });
}

/** Loads the cached classifier for these settings, or trains and caches it. */
export async function featureClassifier(resultsRoot: string, settings: FeatureClassifierSettings, log: (l: string) => void = console.log): Promise<FeatureClassifier> {
  const dir = classifierDir(resultsRoot, settings);
  const metaFile = path.join(dir, 'meta.json');
  const modelJson = path.join(dir, 'model.json');
  if (fs.existsSync(metaFile) && fs.existsSync(modelJson)) {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as ClassifierMeta;
    const model = await loadModel(modelJson);
    log(`feature classifier: cached ${dir} (test accuracy ${(meta.testAccuracy * 100).toFixed(2)}%)`);
    return { model, probe: probeOf(model), testAccuracy: meta.testAccuracy, dir, cached: true };
  }
  log(`feature classifier: training (${settings.trainSize} images, ${settings.epochs} epochs) → ${dir}`);
  const data = loadMnist({ trainSize: settings.trainSize, shuffleSeed: settings.seed + 1 });
  try {
    const model = buildCnn({ kind: 'cnn', filters: settings.filters, dense: settings.features }, data.imageShape, 10, settings.seed);
    const opts = TrainOptions.parse({ epochs: settings.epochs, batchSize: 128, optimizer: { name: 'adam', learningRate: 1e-3 }, logSigma: false });
    const r = await trainModel(model, data.train, [], opts, { seed: settings.seed, label: 'feature classifier', progress: false, log });
    const test = await evaluate(model, data.test);
    await saveModel(model, dir);
    const meta: ClassifierMeta = { version: VERSION, settings, testAccuracy: test.accuracy, trainSeconds: r.seconds };
    // Written last: its presence marks the cache entry as complete.
    writeFileAtomic(metaFile, JSON.stringify(meta, null, 1));
    log(`feature classifier: test accuracy ${(test.accuracy * 100).toFixed(2)}% (${r.seconds.toFixed(0)} s)`);
    return { model, probe: probeOf(model), testAccuracy: test.accuracy, dir, cached: false };
  } finally {
    tf.dispose([data.train.x, data.train.y, data.test.x, data.test.y]);
  }
}

export interface ProbeOutputs {
  /** [N·F] row-major. */
  readonly features: Float32Array;
  readonly dim: number;
  /** Softmax probabilities [N·10] row-major. */
  readonly probs: Float32Array;
  readonly count: number;
}

/** Features and class probabilities of images [N,28,28,1], in batches. */
export function probeImages(probe: tfl.LayersModel, x: tf.Tensor4D, batchSize = 500): ProbeOutputs {
  const n = x.shape[0];
  const feats: Float32Array[] = [];
  const probs: Float32Array[] = [];
  let dim = 0;
  for (let s = 0; s < n; s += batchSize) {
    const size = Math.min(batchSize, n - s);
    const [f, p] = tf.tidy(() => {
      const [feat, logits] = probe.apply(tf.slice(x, s, size), { training: false }) as tf.Tensor[];
      return [feat!, tf.softmax(logits as tf.Tensor2D)];
    });
    dim = f!.shape[1]!;
    feats.push(f!.dataSync() as Float32Array);
    probs.push(p!.dataSync() as Float32Array);
    tf.dispose([f!, p!]);
  }
  const cat = (parts: Float32Array[]): Float32Array => {
    const out = new Float32Array(parts.reduce((a, b) => a + b.length, 0));
    let off = 0;
    for (const q of parts) {
      out.set(q, off);
      off += q.length;
    }
    return out;
  };
  return { features: cat(feats), dim, probs: cat(probs), count: n };
}

/**
 * Mean max-probability (how sure the classifier is that a sample is some digit) and
 * the entropy, in nats, of the histogram of predicted classes (ln 10 ≈ 2.303 when every
 * digit is generated equally often; low values mean mode collapse).
 */
export function confidenceAndClassEntropy(probs: Float32Array, count: number, classes = 10): { confidence: number; classEntropy: number } {
  let conf = 0;
  const hist = new Float64Array(classes);
  for (let i = 0; i < count; i++) {
    let best = -1;
    let at = 0;
    for (let k = 0; k < classes; k++) {
      const p = probs[i * classes + k]!;
      if (p > best) {
        best = p;
        at = k;
      }
    }
    conf += best;
    hist[at]! += 1;
  }
  let h = 0;
  for (const c of hist) {
    if (c === 0) continue;
    const p = c / count;
    h -= p * Math.log(p);
  }
  return { confidence: conf / count, classEntropy: h };
}
