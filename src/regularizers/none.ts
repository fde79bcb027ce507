import type { Regularizer } from './types.js';

/** The baseline: plain empirical risk minimisation. */
export function createNone(): Regularizer {
  return { name: 'none' };
}
