/**
 * The regularizers on CIFAR-10 with a small VGG-style CNN (three conv blocks with
 * 2×2 max-pooling, then a dense layer). Downloads cifar-10-binary.tar.gz once into
 * data/cifar-10/ (or place it there by hand). Attacks use CIFAR's customary L∞
 * budgets 2/255, 4/255, 8/255 and L2 0.25–1 (DEFAULT_EPSILONS).
 *
 * Cost: on the wasm backend a CNN epoch over 50k 32×32×3 images takes tens of
 * minutes on 2 cores; use --shard across machines, or trainSize for a quick look.
 */
import { defineExperiment } from '../src/config/experiment.js';

export const experiment = defineExperiment({
  name: 'cifar10-regularizers',
  description: 'VGG-style CNN on CIFAR-10: none vs L2 weight decay vs spectral norm regularization',
  datasets: ['cifar10'],
  data: { trainEvalSize: 10000 },
  models: [{ kind: 'cnn', filters: [32, 64, 128], dense: 256 }],
  methods: [{ name: 'none' }, { name: 'l2', lambda: 5e-4 }, { name: 'spectral', lambda: 0.01 }],
  seeds: [0, 1],
  train: { epochs: 15, batchSize: 128, optimizer: { name: 'adam', learningRate: 1e-3 } },
  attacks: [{ name: 'fgsm' }, { name: 'pgd-linf', steps: 20, randomStart: true }, { name: 'pgd-l2', steps: 20, randomStart: true }],
  attackSize: 1000,
});
