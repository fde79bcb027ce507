/**
 * The regularizers on Fashion-MNIST (Xiao et al. 2017): same shape as MNIST, harder
 * classes, larger generalization gaps. Needs no download where Debian's
 * dataset-fashion-mnist package is installed (CI installs it). Attacks use the
 * dataset's default ε lists (see DEFAULT_EPSILONS in src/data/index.ts).
 */
import { defineExperiment } from '../src/config/experiment.js';

export const experiment = defineExperiment({
  name: 'fashion-mnist-regularizers',
  description: 'MLP on Fashion-MNIST: none vs L2 weight decay vs spectral norm regularization, 2 seeds',
  datasets: ['fashion-mnist'],
  data: { trainEvalSize: 10000 },
  models: [{ kind: 'mlp', hidden: [256, 256] }],
  methods: [{ name: 'none' }, { name: 'l2', lambda: 5e-4 }, { name: 'spectral', lambda: 0.02 }],
  seeds: [0, 1],
  train: { epochs: 8, batchSize: 128, optimizer: { name: 'adam', learningRate: 1e-3 } },
  attacks: [{ name: 'fgsm' }, { name: 'pgd-linf', steps: 40, randomStart: true }, { name: 'pgd-l2', steps: 40, randomStart: true }],
  attackSize: 1000,
});
