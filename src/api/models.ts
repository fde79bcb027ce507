/**
 * `models` of the public API (src/index.ts): the model zoo, the logits of any classifier,
 * and the custom layers. Importing the API registers SNDense, SNConv2D and MaxMin with
 * tfjs' serialization, so saved models that use them load with tf.loadLayersModel.
 */
export { buildModel, modelLabel, ModelSpec, standardLayers, type BuildOptions, type LayerFactory } from '../models/index.js';
export { logits } from '../models/logits.js';
export { toLogitModel, type HeadChange, type LogitModel } from '../models/logit-head.js';
export { isSpectralNormLayer, SNConv2D, SNDense, spectralNormLayers, type SigmaMode, type SpectralNormSettings } from '../models/spectral-layers.js';
export { MaxMin, maxMin } from '../models/maxmin.js';
