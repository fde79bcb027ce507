import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { attackNorm, type ParsedAttackSpec } from '../attacks/index.js';
import { DEFAULT_EPSILONS, type DatasetName } from '../data/index.js';
import { evaluateParsedAttacks } from '../attacks/evaluate.js';
import { CLEAN_ERROR, NOT_BROKEN } from '../attacks/run-attack.js';
import type { Split } from '../data/types.js';
import type { AttackRow, RunKey } from '../results/rows.js';
import type { CancelSignal } from '../util/cancel.js';

/** Clean/adversarial pairs kept for the empirical Lipschitz lower bound. */
export interface AdversarialPair {
  readonly attack: string;
  readonly eps: number;
  readonly x: tf.Tensor4D;
  readonly xAdv: tf.Tensor4D;
}

/**
 * Which ensemble member broke each attacked point, one character per point in test-set
 * order: '0'–'9' the member's index, '.' robust, 'c' misclassified without an attack.
 */
export interface EnsembleBreakdown {
  readonly attack: string;
  readonly eps: number;
  readonly members: string[];
  readonly brokenBy: string;
}

export interface AttackStageResult {
  readonly rows: AttackRow[];
  readonly breakdowns: EnsembleBreakdown[];
  readonly pairs: AdversarialPair[];
  dispose(): void;
}

/** Pairs kept per (attack, ε): enough for a tight max, small enough to hold in memory. */
const KEPT_PAIRS = 500;

export async function attackStage(input: {
  model: tfl.LayersModel;
  split: Split;
  specs: readonly ParsedAttackSpec[];
  key: RunKey;
  seed: number;
  log: (line: string) => void;
  progress?: boolean;
  /** Points per attack batch; evaluateAttacks' default (256) when undefined. */
  batchSize?: number;
  signal?: CancelSignal;
}): Promise<AttackStageResult> {
  const { model, split, specs, key } = input;
  if (specs.length === 0) return { rows: [], breakdowns: [], pairs: [], dispose() {} };
  // The dataset's customary ε list where a spec gives none.
  const defaults = DEFAULT_EPSILONS[key.dataset as DatasetName];
  const withEps = specs.map((s) => ({ ...s, eps: s.eps ?? [...(defaults?.[attackNorm(s.name)] ?? [])] }));
  const ev = await evaluateParsedAttacks(model, split.x, split.y, withEps, undefined, {
    seed: input.seed,
    progress: input.progress ?? false,
    largeEpsCheck: true,
    ...(input.batchSize !== undefined ? { batchSize: input.batchSize } : {}),
    keepAdversarial: { maxExamples: KEPT_PAIRS },
    ...(input.signal ? { signal: input.signal } : {}),
  });
  const kept = Math.min(KEPT_PAIRS, split.x.shape[0]);
  const clean = tf.slice(split.x, [0, 0, 0, 0], [kept, -1, -1, -1]);
  const pairs: AdversarialPair[] = [];
  for (const run of ev.runs) {
    for (const p of run.result.perEps) {
      if (!p.adversarial) continue;
      if (p.eps > 0) pairs.push({ attack: run.spec.name, eps: p.eps, x: clean, xAdv: p.adversarial });
      else p.adversarial.dispose();
    }
  }
  const breakdowns: EnsembleBreakdown[] = ev.runs.flatMap((run) =>
    run.result.perEps
      .filter((p) => p.brokenBy && p.members && p.eps > 0)
      .map((p) => ({
        attack: run.spec.name,
        eps: p.eps,
        members: p.members!.map((m) => m.name),
        brokenBy: Array.from(p.brokenBy!, (b) => (b === NOT_BROKEN ? '.' : b === CLEAN_ERROR ? 'c' : String(b))).join(''),
      })),
  );
  const rows: AttackRow[] = ev.rows.map((r) => ({ ...key, ...r, certifiedAcc: null }));
  for (const r of rows.filter((r) => r.eps > 0)) {
    const by = r.brokenBy ? ` (broken by ${r.brokenBy.replaceAll(';', ', ')})` : '';
    input.log(`  ${r.attack} ε=${r.eps}: robust acc ${(r.robustAcc * 100).toFixed(1)}%, success ${(r.successRate * 100).toFixed(1)}%, ${r.seconds.toFixed(1)} s${by}`);
  }
  // One line per (attack, flag), listing the ε it was raised at.
  for (const attack of [...new Set(rows.map((r) => r.attack))]) {
    for (const flag of ['flagPgdWeakerThanFgsm', 'flagRobustAccRises', 'flagLargeEpsNotZero', 'flagZeroGrad', 'flagZeroStep', 'flagGradientMasking'] as const) {
      const at = rows.filter((r) => r.attack === attack && r[flag]).map((r) => r.eps);
      if (at.length) input.log(`  sanity: ${attack}: ${flag} at ε = ${at.join(', ')}`);
    }
  }
  return {
    rows,
    breakdowns,
    pairs,
    dispose() {
      clean.dispose();
      for (const p of pairs) p.xAdv.dispose();
    },
  };
}
