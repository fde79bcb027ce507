/**
 * Worst-case robust accuracy at one (run, norm, ε): the minimum over every attack row of
 * that norm at that ε. Robust accuracy counts a point as robust only if no attack broke
 * it, and attacks.csv stores per-attack accuracies (ensembles store their per-point worst
 * case as their own row), so the minimum over rows is the best available upper estimate
 * of the true robust accuracy; new attacks join it by writing rows, with no change here.
 */
import type { AttackRow } from './rows.js';

export interface WorstCase {
  /** The lowest robust accuracy of any attack of this norm at this ε. */
  robustAcc: number;
  /** Attack success rate of the same row (flips among originally-correct points). */
  successRate: number;
  /** Points that row was measured on. */
  n: number;
  /** The attack that gave it (first in row order on ties). */
  attack: string;
  /** Certified accuracy at this ε, when any row carries one. */
  certifiedAcc: number | null;
}

export function worstCaseRobustAcc(attacks: readonly AttackRow[], runId: string, norm: AttackRow['norm'], eps: number): WorstCase | null {
  let best: WorstCase | null = null;
  let certified: number | null = null;
  for (const a of attacks) {
    if (a.runId !== runId || a.norm !== norm || a.eps !== eps || !Number.isFinite(a.robustAcc)) continue;
    if (a.certifiedAcc !== null && Number.isFinite(a.certifiedAcc)) certified = certified === null ? a.certifiedAcc : Math.min(certified, a.certifiedAcc);
    if (best === null || a.robustAcc < best.robustAcc) best = { robustAcc: a.robustAcc, successRate: a.successRate, n: a.n, attack: a.attack, certifiedAcc: null };
  }
  return best === null ? null : { ...best, certifiedAcc: certified };
}

/**
 * The main ε of a norm: the middle of the ε > 0 values the grid attacked (the lower
 * one of the two middles), so the summary picks a budget where attacks neither fail
 * everywhere nor succeed everywhere without the experiment having to name one.
 */
export function mainEps(attacks: readonly AttackRow[], norm: AttackRow['norm']): number | null {
  const eps = [...new Set(attacks.filter((a) => a.norm === norm && a.eps > 0).map((a) => a.eps))].sort((a, b) => a - b);
  return eps.length === 0 ? null : eps[Math.floor((eps.length - 1) / 2)]!;
}
