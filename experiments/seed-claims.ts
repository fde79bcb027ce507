/**
 * The seed's claims as one experiment (see src/claims/claims.ts for each claim, the
 * runs it compares and its verdict rule; the rules were written before any run).
 *
 * An MLP on MNIST (10k training images, 5 epochs, 3 seeds) under every method the
 * claims compare:
 *  - none, l2 and spectral at four λ each (claims 1, 3: matched clean accuracy needs a sweep);
 *  - spectral-norm (reparameterized), spectral-projection (post-step) and frobenius-norm,
 *    all with the same per-layer bound c = 2 (claims 5, 6);
 *  - grad-penalty applied at the training points only (claim 4: is its constraint local?);
 *  - every model attacked with FGSM and PGD and measured (claims 2, 8).
 * Claim 7 (WGAN) is read from results/mnist-wgan/ when that experiment has run.
 *
 * `--quick` runs the same code on tiny subsets (CI): its verdicts mean nothing.
 */
import { defineExperiment } from '../src/config/experiment.js';

export const experiment = defineExperiment({
  name: 'seed-claims',
  description: 'The claims of the seed post, measured over 3 seeds with 95% intervals',
  datasets: ['mnist'],
  data: { trainSize: 10000, shuffleSeed: 1, trainEvalSize: 10000 },
  models: [{ kind: 'mlp', hidden: [256, 256] }],
  methods: [
    { name: 'none' },
    { name: 'l2', lambda: [1e-4, 3e-4, 1e-3, 3e-3] },
    { name: 'spectral', lambda: [0.005, 0.01, 0.02, 0.05] },
    { name: 'spectral-norm', coeff: 2 },
    { name: 'spectral-projection', c: 2 },
    { name: 'frobenius-norm', c: 2 },
    { name: 'grad-penalty', lambda: 1, target: 2, oneSided: true, fn: 'projection', points: 'data' },
  ],
  seeds: [0, 1, 2],
  train: { epochs: 5, batchSize: 128, optimizer: { name: 'adam', learningRate: 1e-3 } },
  attacks: [
    { name: 'fgsm', eps: [0, 0.05, 0.1, 0.2] },
    { name: 'pgd-linf', eps: [0, 0.05, 0.1, 0.2], steps: 20, randomStart: true },
    { name: 'pgd-l2', eps: [0, 0.5, 1, 2], steps: 20, randomStart: true },
  ],
  attackSize: 500,
  lipschitz: { gradPoints: 500 },
  claims: true,
  quick: {
    data: { trainSize: 400, testSize: 200, trainEvalSize: 400 },
    train: { epochs: 1 },
    attackSize: 50,
    attacks: [{ name: 'fgsm', eps: [0, 0.1] }, { name: 'pgd-linf', eps: [0, 0.1], steps: 3 }, { name: 'pgd-l2', eps: [0, 1], steps: 3 }],
    lipschitz: { gradPoints: 50, maxIters: 100 },
  },
});
