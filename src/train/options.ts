import { z } from 'zod';
import { LrSchedule } from './schedule.js';

export const OptimizerSpec = z.discriminatedUnion('name', [
  z.object({ name: z.literal('sgd'), learningRate: z.number().positive() }).strict(),
  z
    .object({ name: z.literal('momentum'), learningRate: z.number().positive(), momentum: z.number().min(0).max(1).default(0.9), nesterov: z.boolean().default(false) })
    .strict(),
  z
    .object({ name: z.literal('adam'), learningRate: z.number().positive(), beta1: z.number().min(0).max(1).default(0.9), beta2: z.number().min(0).max(1).default(0.999) })
    .strict(),
]);
export type OptimizerSpec = z.infer<typeof OptimizerSpec>;

export const TrainOptions = z
  .object({
    epochs: z.number().int().positive({ message: 'epochs must be at least 1' }),
    batchSize: z.number().int().positive().default(128),
    optimizer: OptimizerSpec.default({ name: 'adam', learningRate: 1e-3, beta1: 0.9, beta2: 0.999 }),
    /** Log per-layer σ at the end of every epoch (one cheap power iteration run per layer). */
    logSigma: z.boolean().default(true),
    /** Learning-rate schedule over the whole run; absent → the optimizer's rate throughout (and absent from the config hash). */
    lrSchedule: LrSchedule.optional(),
  })
  .strict();
export type TrainOptions = z.infer<typeof TrainOptions>;
