/**
 * lipbench's core as a library: `import { attacks, lipschitz, regularizers, models } from 'lipbench'`.
 * Runs in Node and in a browser (no Node-only import anywhere below it, which
 * test/layers.test.ts and test/package.test.ts check); the Node-only helpers (backend
 * setup, model and dataset files) are the `lipbench/node` entry, src/node/index.ts.
 *
 *   attacks       createAttack(name, options), runAttack (the threat model: clipping to the
 *                 ε-ball and [0, 1], per-ε robust accuracy), evaluateAttacks (sanity flags)
 *   lipschitz     upper bounds (lipschitzUpperBounds, layerNorms, pairwise, IBP/CROWN),
 *                 lower bounds and certified accuracy
 *   regularizers  the training methods by name (createRegularizer from a RegularizerSpec)
 *   models        the model zoo, logits of any classifier, SN and MaxMin layers
 *   train         the training loop that applies regularizers; evaluation
 *   data          IDX and CIFAR-10 parsing from bytes
 *   progress      installProgress: draw progress bars your way (default: none)
 *   cancel        Cancelled, CancelSignal: stop long calls cleanly
 *
 * Everything else under src/ is internal and may change without notice.
 */
export * as attacks from './api/attacks.js';
export * as lipschitz from './lipschitz/index.js';
export * as regularizers from './api/regularizers.js';
export * as models from './api/models.js';
export * as train from './api/train.js';
export * as data from './api/data.js';
export * as progress from './util/progress.js';
export * as cancel from './util/cancel.js';
