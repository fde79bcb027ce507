/**
 * `lipbench/node`: the Node-only helpers around the core. Choose and start a tfjs backend
 * (tfjs-node, wasm with lipbench's native addon, wasm, cpu), read and write LayersModels
 * as model.json + weights.bin with plain fs, and load the standard datasets from files.
 */
export { backendLine, BackendChoice, currentBackend, initBackend, type BackendInfo } from './backend.js';
export { fileLoadHandler, fileSaveHandler, loadModel, saveModel } from './model-files.js';
export { loadDataset, type LoadOptions } from './datasets.js';
export { loadMnist } from './mnist.js';
