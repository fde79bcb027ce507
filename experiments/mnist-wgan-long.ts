/**
 * Issue 6, longer budget: the seed's claim is about convergence, and at mnist-wgan's 20
 * epochs sn is still improving (FD 28.7 vs gp's 16.0, digits only partly formed). This
 * runs gp and sn alone, with mnist-wgan's settings, for 50 epochs (6250 critic steps,
 * 1250 generator steps), evaluated every 2 epochs, 2 seeds, to see whether sn catches up
 * with gp given time. About 28 minutes on 2 cores (wasm+native).
 *
 *   npx lipbench wgan mnist-wgan-long     # results/mnist-wgan-long/{wgan.csv,wgan-verdicts.csv,report.html}
 */
import { defineWganExperiment } from '../src/wgan/config.js';
import { experiment as base } from './mnist-wgan.js';

export const experiment = defineWganExperiment({
  ...base,
  name: 'mnist-wgan-long',
  description: 'WGAN on MNIST, gradient penalty vs spectral normalization over a 50-epoch budget',
  variants: base.variants.filter((v) => v.kind === 'gp' || v.kind === 'sn'),
  seeds: [0, 1],
  train: { ...base.train, epochs: 50, evalEvery: 2 },
});
