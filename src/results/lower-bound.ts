/**
 * The tightest empirical lower bound on a run's Lipschitz constant. Every probe below
 * evaluates the real network (a gradient norm at some input, or a difference quotient
 * over an attack pair), so each is a valid lower bound on the global ℓ2 → ℓ2 constant
 * and the largest of them is the tightest; which probe gave it is reported beside it.
 */
import type { RunRow } from './rows.js';

export type LowerBoundColumn = 'lipLowerGrad' | 'lipLowerPgd' | 'lipLocalInterp' | 'lipLocalNoise';

/** Probes in the order a tie is attributed (data points first). */
export const LOWER_BOUND_PROBES: readonly { column: LowerBoundColumn; probe: string }[] = [
  { column: 'lipLowerGrad', probe: 'gradient norm at test points' },
  { column: 'lipLowerPgd', probe: 'PGD pairs ‖f(x′)−f(x)‖/‖x′−x‖' },
  { column: 'lipLocalInterp', probe: 'gradient norm at class interpolations' },
  { column: 'lipLocalNoise', probe: 'gradient norm at uniform noise' },
];

export interface TightestLowerBound {
  value: number;
  column: LowerBoundColumn;
  probe: string;
}

/** The largest finite, positive lower bound of the run, or null when none was measured. */
export function tightestLowerBound(r: Pick<RunRow, LowerBoundColumn>): TightestLowerBound | null {
  let best: TightestLowerBound | null = null;
  for (const { column, probe } of LOWER_BOUND_PROBES) {
    const v = r[column];
    if (v !== null && Number.isFinite(v) && v > 0 && (best === null || v > best.value)) best = { value: v, column, probe };
  }
  return best;
}
