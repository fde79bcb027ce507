/**
 * The invariant that makes certificates and attacks check each other: at every (run,
 * norm, ε), on the same points,
 *     certified (each certificate) ≤ empirical robust (the worst attack) ≤ clean.
 * A certificate above what an attack achieved means an unsound certificate; a robust
 * accuracy above the clean one means a broken attack. Either is a bug, so the run fails.
 */
import type { AttackRow } from '../results/rows.js';

const CERTIFICATES = ['certifiedAcc', 'certifiedPairwiseAcc', 'certifiedIbpAcc', 'certifiedCrownAcc'] as const;

/** Accuracies are counts over n; anything beyond rounding is a real violation. */
const TOL = 1e-9;

export class CertifiedInvariantError extends Error {
  constructor(readonly violations: string[]) {
    super(`certified ≤ empirical robust ≤ clean violated (a certificate or an attack is wrong):\n  ${violations.join('\n  ')}`);
    this.name = 'CertifiedInvariantError';
  }
}

/** Every violation, one line each naming the run, norm, ε and the numbers. */
export function certifiedInvariantViolations(rows: readonly AttackRow[]): string[] {
  const groups = new Map<string, AttackRow[]>();
  for (const r of rows) {
    const k = `${r.runId}|${r.norm}|${r.eps}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: string[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const where = `run ${first.runId} ${first.norm} ε=${first.eps}`;
    const ns = [...new Set(group.map((r) => r.n))];
    if (ns.length > 1) {
      out.push(`${where}: attacks ran on different numbers of points (${ns.join(', ')}); the comparison needs the same points`);
      continue;
    }
    const worst = group.reduce((a, r) => (r.robustAcc < a.robustAcc ? r : a));
    const clean = Math.min(...group.map((r) => r.cleanAcc));
    if (worst.robustAcc > clean + TOL) out.push(`${where}: empirical robust ${worst.robustAcc} (${worst.attack}) > clean ${clean}`);
    for (const col of CERTIFICATES) {
      for (const r of group) {
        const c = r[col];
        if (c === null || c === undefined) continue;
        if (c > worst.robustAcc + TOL) out.push(`${where}: ${col} ${c} > empirical robust ${worst.robustAcc} (${worst.attack})`);
      }
    }
  }
  return out;
}

/** Throws CertifiedInvariantError if any (run, norm, ε) violates the invariant; returns the rows otherwise. */
export function checkCertifiedInvariant<R extends AttackRow>(rows: readonly R[]): readonly R[] {
  const v = certifiedInvariantViolations(rows);
  if (v.length) throw new CertifiedInvariantError(v);
  return rows;
}
