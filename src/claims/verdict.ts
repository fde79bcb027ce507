/**
 * Verdict rules, fixed before any numbers are seen and printed beside every claim:
 *   directional claim over metrics m₁…mₖ, each a 95% interval of the claimed difference:
 *     supported      every interval lies entirely on the claimed side of 0;
 *     not supported  some interval lies entirely on the other side of 0;
 *     inconclusive   otherwise (some interval contains 0, or nothing was measured).
 */
import type { Interval } from './stats.js';

export type Verdict = 'supported' | 'not supported' | 'inconclusive';

export const DIRECTIONAL_RULE =
  'supported if every 95% interval of the claimed difference lies above 0; not supported if any lies below 0; otherwise inconclusive';

/** `intervals` are oriented so that the claim predicts positive values. */
export function directionalVerdict(intervals: readonly Interval[]): Verdict {
  if (intervals.length === 0 || intervals.some((i) => !Number.isFinite(i.mean))) return 'inconclusive';
  if (intervals.some((i) => i.hi < 0)) return 'not supported';
  if (intervals.every((i) => i.lo > 0)) return 'supported';
  return 'inconclusive';
}

export function formatInterval(i: Interval, digits = 3): string {
  const f = (v: number) => (Number.isFinite(v) ? v.toPrecision(digits) : v > 0 ? '∞' : '−∞');
  return `${f(i.mean)} [${f(i.lo)}, ${f(i.hi)}]`;
}
