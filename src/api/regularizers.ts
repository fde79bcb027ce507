/** `regularizers` of the public API (src/index.ts): every training method by name, as data. */
export {
  createRegularizer,
  layerFactoryFor,
  methodLabel,
  REGULARIZER_NAMES,
  RegularizerSpec,
  type BatchContext,
  type HookContext,
  type Regularizer,
  type StepContext,
} from '../regularizers/index.js';
