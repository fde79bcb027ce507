/**
 * A user's saved classifier, ready to attack or certify: `lipbench attack` and
 * `lipbench certify` open it the same way. The model is loaded (errors name the file),
 * its softmax/sigmoid head removed (models/logit-head.ts), and the first n test points of
 * the dataset loaded and checked against the model's input shape.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { UserError } from '../util/errors.js';
import { DatasetName, disposeDataset, type Dataset } from '../data/index.js';
import { loadDataset } from '../node/datasets.js';
import { loadModel } from '../node/model-files.js';
import { toLogitModel, type LogitModel } from '../models/logit-head.js';

export interface SavedClassifier {
  /** The logit model (the loaded one, or a rebuilt copy without its head). */
  readonly model: tfl.LayersModel;
  readonly head: LogitModel;
  readonly data: Dataset;
  dispose(): void;
}

export async function openSavedClassifier(modelJson: string, dataset: string, n: number): Promise<SavedClassifier> {
  const ds = DatasetName.safeParse(dataset);
  if (!ds.success) throw new UserError(`--dataset: unknown dataset "${dataset}" (known: ${DatasetName.options.join(', ')})`);
  let loaded: tfl.LayersModel;
  try {
    loaded = await loadModel(modelJson);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const head = await toLogitModel(loaded);
  const model = head.model;
  const data = await loadDataset(ds.data, { testSize: n });
  const dispose = () => {
    if (model !== loaded) model.dispose();
    loaded.dispose();
    disposeDataset(data);
  };
  const inShape = model.inputs[0]!.shape.slice(1);
  if (inShape.join() !== data.imageShape.join()) {
    dispose();
    throw new UserError(`${modelJson}: model input shape [${inShape}] does not match ${dataset} images [${data.imageShape}]`);
  }
  return { model, head, data, dispose };
}
