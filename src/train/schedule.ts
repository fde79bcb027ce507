/**
 * Learning-rate schedules as data. GloRo trains MNIST with the rate decayed from
 * 1e-3 towards 1e-6 over the run ('decay_to_0.000001'); a constant Adam rate stalls
 * the certified accuracy a few points short of theirs, so the schedule is part of
 * the configuration rather than a code change per experiment. Their large-radius
 * MNIST run holds the rate for the first half and then decays it (`holdFraction`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

export const LrSchedule = z.discriminatedUnion('kind', [
  /**
   * Geometric interpolation from the optimizer's rate to `finalLearningRate`, over all
   * steps, or over the steps after the fraction `holdFraction` of training spent at the
   * base rate (GloRo's 'decay_after_half_to_…' is holdFraction 0.5).
   */
  z
    .object({
      kind: z.literal('exponential'),
      finalLearningRate: z.number().positive(),
      holdFraction: z.number().min(0).lt(1).optional(),
    })
    .strict(),
  /** Half-cosine from the optimizer's rate to `finalLearningRate` (default 0) over all steps. */
  z.object({ kind: z.literal('cosine'), finalLearningRate: z.number().min(0).default(0) }).strict(),
  /** Multiply the rate by `factor` at each listed epoch (1-based: epoch e starts with the decayed rate). */
  z
    .object({
      kind: z.literal('step'),
      epochs: z.array(z.number().int().positive()).min(1),
      factor: z.number().positive().max(1).default(0.1),
    })
    .strict(),
]);
export type LrSchedule = z.infer<typeof LrSchedule>;

/**
 * The learning rate at `step` (0-based) of `totalSteps`, starting from `base`.
 * `epoch` is 1-based, for the step schedule.
 */
export function scheduledRate(schedule: LrSchedule | undefined, base: number, step: number, totalSteps: number, epoch: number): number {
  if (schedule === undefined) return base;
  const t = totalSteps <= 1 ? 0 : Math.min(1, step / (totalSteps - 1));
  switch (schedule.kind) {
    case 'exponential': {
      const hold = schedule.holdFraction ?? 0;
      return base * Math.pow(schedule.finalLearningRate / base, Math.max(0, t - hold) / (1 - hold));
    }
    case 'cosine':
      return schedule.finalLearningRate + 0.5 * (base - schedule.finalLearningRate) * (1 + Math.cos(Math.PI * t));
    case 'step':
      return base * Math.pow(schedule.factor, schedule.epochs.filter((e) => e <= epoch).length);
  }
}

/**
 * Sets the rate an optimizer uses on its next step. SGD and momentum keep the rate
 * in a cached scalar that only setLearningRate refreshes; Adam reads its
 * `learningRate` field on every applyGradients (tfjs-core 4.22), which is protected
 * in the typings, hence the narrow structural write. Duck-typed, not `instanceof
 * SGDOptimizer`: tfjs overrides Symbol.hasInstance on Optimizer, so every optimizer
 * passes every optimizer instanceof check.
 */
export function setOptimizerRate(optimizer: tf.Optimizer, rate: number): void {
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (r: number) => void };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(rate);
  else o.learningRate = rate;
}
