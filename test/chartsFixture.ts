/**
 * Synthetic result tables for chart and report tests: several regularizers and λs,
 * two seeds, three attacks with ε lists (including ε = 0), three layers, five epochs,
 * and a few null measurements so every chart has to filter.
 */
import type { AttackRow, EpochRow, LayerRow, RunRow } from '../src/results/rows.js';
import type { ResultTables } from '../src/charts/tables.js';

interface Config {
  regularizer: string;
  lambda: number;
  /** How strongly the config shrinks the weights; 1 = no effect. */
  shrink: number;
}

const CONFIGS: readonly Config[] = [
  { regularizer: 'none', lambda: 0, shrink: 1 },
  { regularizer: 'l2', lambda: 1e-4, shrink: 0.8 },
  { regularizer: 'l2', lambda: 1e-3, shrink: 0.55 },
  { regularizer: 'spectral-norm', lambda: 0.01, shrink: 0.35 },
  { regularizer: 'spectral-norm', lambda: 0.1, shrink: 0.15 },
  { regularizer: 'spectral-norm+l2', lambda: 0.01, shrink: 0.3 },
];
/** The attack-row columns chart tests rarely vary: no sanity flag raised, not an ensemble. */
export const QUIET_ATTACK_COLUMNS = {
  flagPgdWeakerThanFgsm: false,
  flagRobustAccRises: false,
  flagLargeEpsNotZero: false,
  flagZeroGrad: false,
  flagZeroStep: false,
  flagGradientMasking: false,
  members: '',
  brokenBy: '',
} as const;

const SEEDS = [1, 2];
const LAYERS = ['dense_1', 'dense_2', 'dense_10'];
const EPOCHS = 5;
export const ATTACK_EPS: Readonly<Record<string, { norm: 'linf' | 'l2'; eps: readonly number[] }>> = {
  fgsm: { norm: 'linf', eps: [0, 0.05, 0.1, 0.2] },
  'pgd-linf': { norm: 'linf', eps: [0, 0.05, 0.1, 0.2] },
  'pgd-l2': { norm: 'l2', eps: [0, 0.5, 1, 2] },
};

/** Small deterministic jitter so seeds differ without a RNG dependency. */
function jitter(seed: number, salt: number): number {
  const x = Math.sin(seed * 12.9898 + salt * 78.233) * 43758.5453;
  return x - Math.floor(x) - 0.5;
}

export function syntheticTables(): ResultTables {
  const results: RunRow[] = [];
  const attacks: AttackRow[] = [];
  const layers: LayerRow[] = [];
  const epochs: EpochRow[] = [];
  CONFIGS.forEach((c, ci) => {
    for (const seed of SEEDS) {
      const key = {
        runId: `${c.regularizer}-${c.lambda}-s${seed}`,
        experiment: 'synthetic',
        dataset: 'mnist',
        model: 'mlp',
        regularizer: c.regularizer,
        method: c.regularizer,
        lambda: c.lambda,
        seed,
      };
      const j = jitter(seed, ci);
      const sigmas = LAYERS.map((_, li) => (3 - li * 0.6) * c.shrink * (1 + 0.05 * j) + 0.2);
      const lipUpper = sigmas.reduce((a, b) => a * b, 1);
      const testAcc = 0.9 + 0.04 * (1 - c.shrink) + 0.01 * j;
      const trainAcc = testAcc + 0.08 * c.shrink + 0.01 + 0.01 * jitter(seed, ci + 100);
      results.push({
        ...key,
        regularizers: JSON.stringify(c.regularizer === 'none' ? [] : [{ kind: c.regularizer, lambda: c.lambda }]),
        backend: 'cpu',
        threads: 1,
        epochs: EPOCHS,
        batchSize: 64,
        optimizer: 'adam',
        learningRate: 1e-3,
        trainSize: 1000,
        testSize: 500,
        trainAcc,
        testAcc,
        trainLoss: 0.1 + 0.2 * (1 - c.shrink),
        testLoss: 0.3 + 0.3 * c.shrink,
        gapAcc: trainAcc - testAcc,
        gapLoss: 0.2 + 0.3 * c.shrink - 0.2 * (1 - c.shrink),
        trainSeconds: 12.5,
        lipUpper,
        lipUpperFrobenius: lipUpper * 4.5,
        // Not measured for one config, as happens for models without conv layers.
        lipUpperReshaped: c.regularizer === 'l2' && c.lambda === 1e-4 ? null : lipUpper * 0.9,
        lipLowerGrad: lipUpper * 0.12,
        lipLowerPgd: seed === 2 && ci === 0 ? null : lipUpper * 0.08,
        lipLocalInterp: lipUpper * 0.15,
        lipLocalNoise: lipUpper * 0.05,
        powerIterTol: 1e-5,
      });
      for (const [attack, { norm, eps }] of Object.entries(ATTACK_EPS)) {
        const strength = attack === 'fgsm' ? 0.8 : 1;
        for (const e of eps) {
          const scale = norm === 'l2' ? e / 10 : e;
          const robustAcc = Math.max(0, testAcc * (1 - strength * scale * 6 * (0.3 + c.shrink) * (1 + 0.15 * j)));
          attacks.push({
            ...key,
            attack,
            norm,
            eps: e,
            n: 500,
            cleanAcc: testAcc,
            robustAcc,
            successRate: 1 - robustAcc / testAcc,
            certifiedAcc: norm === 'l2' ? Math.max(0, robustAcc - 0.1 - e * 0.2) : null,
            ...QUIET_ATTACK_COLUMNS,
            // One flagged row so the report has something to highlight.
            flagRobustAccRises: attack === 'pgd-l2' && e === 2 && seed === 1 && ci === 4,
            seconds: 0.5,
          });
        }
      }
      LAYERS.forEach((layer, li) => {
        layers.push({
          ...key,
          layer,
          kind: 'dense',
          operatorSigma: sigmas[li]!,
          reshapedSigma: null,
          frobenius: sigmas[li]! * 1.7,
          iterations: 30,
          relChange: 1e-6,
        });
        for (let epoch = 1; epoch <= EPOCHS; epoch++) {
          epochs.push({
            ...key,
            epoch,
            layer,
            sigma: 1 + (sigmas[li]! - 1) * (epoch / EPOCHS) + 0.5 * (1 - c.shrink) * Math.exp(-epoch),
            trainLoss: 1 / epoch,
            trainAcc: 1 - 0.5 / epoch,
            seconds: 2,
          });
        }
      });
    }
  });
  return { results, attacks, layers, epochs };
}

export function emptyTables(): ResultTables {
  return { results: [], attacks: [], layers: [], epochs: [] };
}
