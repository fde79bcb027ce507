/**
 * PGD-L∞, projected gradient descent (Madry, Makelov, Schmidt, Tsipras & Vladu,
 * "Towards Deep Learning Models Resistant to Adversarial Attacks", ICLR 2018). Norm: L∞.
 *
 * From a random start (uniform on [−ε, ε]^d), repeat `steps` times:
 * x ← Π(x + α·sign(∇ₓL)), Π = projection onto the L∞ ε-ball around x₀, then onto [0,1].
 * With `restarts` > 1 each example keeps its worst case over restarts (see pgd-core.ts).
 *
 * Options (all optional):
 *   steps        int ≥ 1                   iterations; default 40
 *   stepSize     number > 0                absolute step α; no default
 *   relStepSize  number > 0                α = relStepSize·ε; no default
 *                                          (neither given: α = 2.5·ε/steps, Madry et al.)
 *   randomStart  boolean                   default true
 *   restarts     int ≥ 1                   default 1
 *   loss         'ce' | 'cw'               default 'ce' (cross-entropy on logits)
 *   target       'none' | 'next' | 'given' default 'none'
 * Inputs: NHWC float32 in [0,1]; the model returns logits.
 */
import { pgdAttack, PgdOptions } from './pgd-core.js';
import type { Attack } from './types.js';

export const PgdLinfOptions = PgdOptions;
export type PgdLinfOptions = PgdOptions;

export function pgdLinf(options: PgdLinfOptions = {}): Attack {
  return pgdAttack('pgd-linf', 'linf', options);
}
