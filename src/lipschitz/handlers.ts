/**
 * Importing this registers every built-in layer handler: Dense and Conv2D (layer-norms),
 * activations, pooling and batch-norm (factors), the spectral-normalized and
 * orthonormalized layers and MaxMin. The analyses that dispatch on layers (bounds.ts, and the Lipschitz tracker of
 * the certified-training regularizers) import it, so the model classes need not: the
 * models layer stays below lipschitz/.
 */
import './layer-norms.js';
import './factors.js';
import './spectral-handlers.js';
import './maxmin-handler.js';
import './orthonormal-handlers.js';
