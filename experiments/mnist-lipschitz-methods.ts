/**
 * Every Lipschitz-controlling method of the seed post on one small CNN on MNIST
 * (GitHub issue 5): the baseline, the two penalties (L2 weight decay = the Frobenius
 * bound, spectral norm regularization), spectral normalization as a reparameterization
 * (reshaped-kernel σ as in the paper, and the conv operator norm), the same
 * normalization as a post-step constraint (Keras kernel_constraint style), WGAN's
 * weight clipping, the Frobenius-ball projection, the gradient penalty as a supervised
 * regularizer, and PGD adversarial training as the robustness reference.
 *
 * Sized to finish in about 20 minutes on 2 cores with the wasm backend
 * (`lipbench run mnist-lipschitz-methods -b wasm`): it trains on a fixed random
 * SUBSET of 8,000 training images (not all 60,000) for 2 epochs (126 steps), and
 * attacks 300 test points with 10-step PGD (the clean metrics use the full test set).
 * Measured per training step (batch 128, this CNN, wasm, 2 cores shared with other
 * jobs): none ≈ 0.18 s, spectral-norm ≈ 0.28 s (operator σ ≈ 0.33 s), grad-penalty
 * ≈ 1.0 s (double backprop), adversarial-training with 5 PGD steps ≈ 1.5–2 s; these two
 * dominate training. Evaluation (attacks + Lipschitz bounds) adds ~30–60 s per run.
 *
 * Hyperparameters, and why:
 *  - l2 λ=5e-4 and spectral λ=0.02 as in the MLP experiments.
 *  - spectral-norm / spectral-projection c=1: each layer 1-Lipschitz (the papers' choice).
 *  - clip c=0.1: WGAN's 0.01 leaves a classifier of this size untrainable.
 *  - frobenius-norm c=5: roughly the He-initialised kernels' ‖W‖_F, so it binds as they grow.
 *  - grad-penalty: one-sided (the post's max(‖∇‖−1, 0)²), K=1, λ=1, on same-class
 *    interpolations (the post's warning about interpolating across classes), with g a
 *    random unit projection of the logits, so the penalty constrains the logit map's
 *    slope as SN with c=1 does (the cross-entropy's input gradient is mostly < 1 on
 *    confidently classified points, where a one-sided K=1 penalty would be idle).
 *  - adversarial-training ε=0.1 with 5 steps: the middle of the attacked ε range.
 */
import { defineExperiment } from '../src/config/experiment.js';

export const experiment = defineExperiment({
  name: 'mnist-lipschitz-methods',
  description: 'Small CNN on an 8k MNIST subset under every Lipschitz method of the seed post',
  datasets: ['mnist'],
  data: { trainSize: 8000, shuffleSeed: 1, trainEvalSize: 8000 },
  models: [{ kind: 'cnn', filters: [16, 32], dense: 64 }],
  methods: [
    { name: 'none' },
    { name: 'l2', lambda: 5e-4 },
    { name: 'spectral', lambda: 0.02 },
    { name: 'spectral-norm' },
    { name: 'spectral-norm', sigma: 'operator' },
    { name: 'spectral-projection', c: 1 },
    { name: 'clip', c: 0.1 },
    { name: 'frobenius-norm', c: 5 },
    { name: 'grad-penalty', lambda: 1, target: 1, oneSided: true, fn: 'projection', points: 'interpolate', pairs: 'same-class' },
    { name: 'adversarial-training', eps: 0.1, steps: 5 },
  ],
  seeds: [0],
  train: { epochs: 2, batchSize: 128, optimizer: { name: 'adam', learningRate: 1e-3 } },
  attacks: [
    { name: 'fgsm', eps: [0, 0.05, 0.1, 0.2, 0.3] },
    { name: 'pgd-linf', eps: [0, 0.05, 0.1, 0.2, 0.3], steps: 10, randomStart: true },
    { name: 'pgd-l2', eps: [0.5, 1, 2], steps: 10, relStepSize: 0.25, randomStart: true },
  ],
  attackSize: 300,
  lipschitz: { gradPoints: 300 },
});
