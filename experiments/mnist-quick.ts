/**
 * The default experiment (`npm start`): an MLP on full MNIST under no regularization,
 * L2 weight decay and spectral norm regularization; every model is attacked with
 * FGSM, PGD and the AutoAttack-style ensemble, and its Lipschitz bounds are measured.
 *
 * λ scales: l2's penalty is λ·Σ‖W‖²_F and spectral's is λ/2·Σσ(W)², so the same λ
 * weighs them differently; the values below give each a visible effect on the
 * bounds while keeping test accuracy above 97%.
 */
import { defineExperiment } from '../src/config/experiment.js';

export const experiment = defineExperiment({
  name: 'mnist-quick',
  description: 'MLP on MNIST: none vs L2 weight decay vs spectral norm regularization',
  datasets: ['mnist'],
  data: { trainEvalSize: 10000 },
  models: [{ kind: 'mlp', hidden: [256, 256] }],
  methods: [{ name: 'none' }, { name: 'l2', lambda: 5e-4 }, { name: 'spectral', lambda: 0.02 }],
  seeds: [0],
  train: { epochs: 5, batchSize: 128, optimizer: { name: 'adam', learningRate: 1e-3 } },
  attacks: [
    { name: 'fgsm', eps: [0, 0.05, 0.1, 0.2, 0.3] },
    { name: 'pgd-linf', eps: [0, 0.05, 0.1, 0.2, 0.3], steps: 40, stepSize: 0.01, randomStart: true },
    { name: 'pgd-l2', eps: [0, 0.5, 1, 1.5, 2, 3], steps: 40, relStepSize: 0.1, randomStart: true },
    // The worst case over APGD-CE, APGD-T and Square (AutoAttack 'standard'), each run
    // only on the points still robust. Cut to fit `npm start` in 6 minutes on 2 cores:
    // APGD-T tries the 3 most likely wrong classes instead of 9, and Square gets 1000
    // queries instead of 5000 (the README gives the cost of the full version).
    { name: 'autoattack-linf', eps: [0, 0.05, 0.1, 0.2, 0.3], targetClasses: 3, queries: 1000 },
    { name: 'autoattack-l2', eps: [0, 0.5, 1, 1.5, 2, 3], targetClasses: 3, queries: 1000 },
  ],
  attackSize: 1000,
  // One batch: the MLP is small, and APGD's per-step overhead is then paid once.
  attackBatchSize: 1000,
});
