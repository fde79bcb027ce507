/**
 * Spreading a grid over machines. Shard k of n takes every n-th run in the order of
 * sorted runIds: stable (it depends only on the ids), balanced to within one run, and
 * each run lands in exactly one shard.
 */
import { UserError } from '../util/errors.js';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string, source = '--shard'): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new UserError(`${source}: expected k/n (e.g. 2/5), got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new UserError(`${source}: shard ${index}/${count} is out of range (1 ≤ k ≤ n)`);
  return { index, count };
}

/**
 * The shard from the environment: Slurm job arrays (SLURM_ARRAY_TASK_ID, 0- or
 * 1-based per --array, with SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MIN), or a
 * Kubernetes Indexed Job (JOB_COMPLETION_INDEX, 0-based; the count must be given,
 * e.g. LIPBENCH_SHARD_COUNT, since Kubernetes does not export it).
 */
export function shardFromEnv(env: Readonly<Record<string, string | undefined>>): Shard | undefined {
  const slurmId = env['SLURM_ARRAY_TASK_ID'];
  if (slurmId !== undefined) {
    const count = env['SLURM_ARRAY_TASK_COUNT'];
    if (count === undefined) throw new UserError('SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not');
    const min = Number(env['SLURM_ARRAY_TASK_MIN'] ?? 0);
    return parseShard(`${Number(slurmId) - min + 1}/${count}`, 'SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT');
  }
  const k8s = env['JOB_COMPLETION_INDEX'];
  if (k8s !== undefined) {
    const count = env['LIPBENCH_SHARD_COUNT'];
    if (count === undefined) throw new UserError('JOB_COMPLETION_INDEX is set but the shard count is not: set LIPBENCH_SHARD_COUNT to the Job\'s completions');
    return parseShard(`${Number(k8s) + 1}/${count}`, 'JOB_COMPLETION_INDEX/LIPBENCH_SHARD_COUNT');
  }
  return undefined;
}

/** The runIds that belong to a shard. */
export function shardRunIds(runIds: readonly string[], shard: Shard): Set<string> {
  const sorted = [...runIds].sort();
  return new Set(sorted.filter((_, i) => i % shard.count === shard.index - 1));
}

export function shardLabel(shard: Shard): string {
  return `${shard.index}-of-${shard.count}`;
}
