/**
 * PGD-L2, projected gradient descent (Madry, Makelov, Schmidt, Tsipras & Vladu,
 * "Towards Deep Learning Models Resistant to Adversarial Attacks", ICLR 2018). Norm: L2.
 *
 * From a random start (uniform in the L2 ball: Gaussian direction × ε·U^(1/d)), repeat
 * `steps` times:
 * x ← Π(x + α·∇ₓL/‖∇ₓL‖₂), Π = projection onto the L2 ε-ball around x₀, then onto [0,1].
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

export const PgdL2Options = PgdOptions;
export type PgdL2Options = PgdOptions;

export function pgdL2(options: PgdL2Options = {}): Attack {
  return pgdAttack('pgd-l2', 'l2', options);
}
