import { canonicalJson } from '../config/hash.js';
import type { ExperimentConfig } from '../config/experiment.js';
import { disposeDataset, type Dataset, type DatasetName } from '../data/index.js';
import { loadDataset } from '../node/datasets.js';

/** Loads each (dataset, subset) once per experiment, however many runs use it. */
export class DatasetCache {
  private readonly cache = new Map<string, Dataset>();

  async get(name: DatasetName, data: ExperimentConfig['data']): Promise<Dataset> {
    const key = canonicalJson({ name, data });
    let d = this.cache.get(key);
    if (!d) {
      d = await loadDataset(name, { trainSize: data.trainSize, testSize: data.testSize, shuffleSeed: data.shuffleSeed });
      this.cache.set(key, d);
    }
    return d;
  }

  dispose(): void {
    for (const d of this.cache.values()) disposeDataset(d);
    this.cache.clear();
  }
}
