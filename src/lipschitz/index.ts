/** Public surface of the Lipschitz analysis; importing it registers the built-in layer handlers. */
export { layerNorms, lipschitzUpperBounds, type LayerFactor, type LipschitzBoundOptions, type LipschitzBounds } from './bounds.js';
export {
  certifiedAccuracy,
  certifiedRadii,
  gradientLowerBound,
  marginDirections,
  pairLowerBound,
  type GradientLowerBoundOptions,
  type LowerBoundResult,
  type PairLowerBoundOptions,
} from './empirical.js';
export { activationFactor, avgPoolFactor, batchNormFactor, maxPoolFactor, windowOverlap } from './factors.js';
export { conv2dFrobeniusBound, conv2dLayerNorm, conv2dOperatorNorm, convOverlap, denseLayerNorm, reshapedKernelNorm, undilateKernel, type Conv2DGeometry } from './layer-norms.js';
export { matrixSpectralNorm, powerIteration, vjpAdjoint, type LinearOp, type PowerIterationOptions, type PowerIterationResult } from './power-iteration.js';
export { analyzeLayer, registerLayerHandler, registeredLayerClasses, type LayerContext, type LayerContribution, type LayerHandler, type LayerNorm } from './registry.js';
export { modelChain, type ChainLink } from './chain.js';
export { applyOp, chainOps, forwardOps, UnsupportedLayerError, type ChainOp, type ChainOps } from './chain-ops.js';
export { bodyLipschitz, globalPairMatrix, lastDense, lipschitzRadii, modelLogits, pairRadii, pairwiseLipschitz, type LipschitzRadii, type PairwiseLipschitz } from './pairwise.js';
export {
  certifiedAccuracyByPropagation,
  marginLowerBounds,
  marginLowerBoundsBatch,
  type BallNorm,
  type BoundMethod,
  type InputBall,
  type PropagationOptions,
} from './bound-propagation.js';
