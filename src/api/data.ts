/** `data` of the public API (src/index.ts): dataset formats parsed from bytes (reading files is lipbench/node's). */
export { DATASET_SHAPES, DatasetName, disposeDataset, type Dataset, type Split } from '../data/index.js';
export { idxSplit, IdxFormatError, parseIdx, type IdxArray } from '../data/idx.js';
export { cifarSplit, parseCifarBatch, type ParsedCifarBatch } from '../data/cifar10.js';
