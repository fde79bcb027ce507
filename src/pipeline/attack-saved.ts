/**
 * `lipbench attack <model.json>`: attack any saved tfjs LayersModel whose input is an
 * image in [0,1] with the dataset's shape, without retraining. A final softmax or
 * sigmoid is removed first (attacks are defined on logits; see models/logit-head.ts),
 * and the output says so.
 */
import { AttackSpec, createAttack, isAttackName, resolveAttackName, resolvedAttackOptions, type ParsedAttackSpec } from '../attacks/index.js';
import { evaluateParsedAttacks } from '../attacks/evaluate.js';
import type { Norm } from '../attacks/types.js';
import { formatZodError, UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { toCsv } from '../results/csv.js';
import { AttackRow } from '../results/rows.js';
import { stepSizeNote } from '../charts/settings.js';
import { openSavedClassifier } from './saved-model.js';

export interface AttackSavedOptions {
  readonly modelJson: string;
  /** One name or a comma-separated list; `apgd-ce`, `apgd-t`, `square`, `autoattack`… take `norm`. */
  readonly attack: string;
  readonly norm?: string;
  readonly eps: readonly number[];
  readonly dataset: string;
  readonly n: number;
  readonly steps?: number;
  readonly stepSize?: number;
  readonly restarts?: number;
  readonly queries?: number;
  readonly targetClasses?: number;
  /** autoattack's `version`. */
  readonly ensemble?: string;
  readonly seed: number;
  readonly out?: string;
}

/** CLI field → [attack option, flag]; each flag goes to every listed attack that takes it. */
const FLAG_OPTIONS = {
  steps: ['steps', '--steps'],
  stepSize: ['stepSize', '--step-size'],
  restarts: ['restarts', '--restarts'],
  queries: ['queries', '--queries'],
  targetClasses: ['targetClasses', '--target-classes'],
  ensemble: ['version', '--ensemble'],
} as const;
type FlagField = keyof typeof FLAG_OPTIONS;

function takesOption(name: string, key: string, value: unknown): boolean {
  const r = AttackSpec.safeParse({ name, [key]: value });
  return r.success || !r.error.issues.some((i) => i.code === 'unrecognized_keys');
}

/** The parsed specs for the requested attacks, or a UserError naming the flag. */
export function savedAttackSpecs(o: Pick<AttackSavedOptions, 'attack' | 'norm' | 'eps' | FlagField>): ParsedAttackSpec[] {
  if (o.norm !== undefined && o.norm !== 'linf' && o.norm !== 'l2') throw new UserError(`--norm: must be linf or l2, got "${o.norm}"`);
  const norm = (o.norm ?? 'linf') as Norm;
  const names = o.attack.split(',').map((s) => resolveAttackName(s.trim(), norm));
  for (const n of names) if (!isAttackName(n)) throw new UserError(formatZodError('--attack', AttackSpec.safeParse({ name: n }).error!));
  const given = (Object.keys(FLAG_OPTIONS) as FlagField[]).filter((f) => o[f] !== undefined);
  for (const f of given) {
    const [key, flag] = FLAG_OPTIONS[f];
    if (!names.some((n) => takesOption(n, key, o[f]))) throw new UserError(`${flag}: none of ${names.join(', ')} takes this option`);
  }
  return names.map((name) => {
    const raw: Record<string, unknown> = { name, eps: [...o.eps] };
    for (const f of given) {
      const [key] = FLAG_OPTIONS[f];
      if (takesOption(name, key, o[f])) raw[key] = o[f];
    }
    const spec = AttackSpec.safeParse(raw);
    if (!spec.success) throw new UserError(formatZodError(`--attack ${name}`, spec.error));
    return spec.data;
  });
}

export async function attackSavedModel(o: AttackSavedOptions): Promise<void> {
  const specs = savedAttackSpecs(o);
  const saved = await openSavedClassifier(o.modelJson, o.dataset, o.n);
  const { model, head, data } = saved;
  try {
    const numClasses = model.outputs[0]!.shape[1];
    for (const s of specs) {
      try {
        createAttack(s.name, s.options).validate?.({ numClasses: typeof numClasses === 'number' ? numClasses : 0, inputShape: data.imageShape });
      } catch (e) {
        throw new UserError((e as Error).message);
      }
    }
    console.log(`model: ${o.modelJson}; ${head.note}`);
    // The settings the numbers came from, defaults filled in, so the output can be cited.
    for (const s of specs) {
      const resolved = resolvedAttackOptions(s.name, s.options);
      console.log(`${s.name} on the first ${data.test.x.shape[0]} ${o.dataset} test points, seed ${o.seed}, options ${JSON.stringify(resolved)}${stepSizeNote(s.name, resolved)}`);
    }
    const ev = await evaluateParsedAttacks(model, data.test.x, data.test.y, specs, undefined, {
      seed: o.seed,
      progress: Boolean(process.stdout.isTTY),
      largeEpsCheck: false,
    });
    console.log('attack            norm  eps      robust acc  success   seconds  flags');
    for (const r of ev.rows) {
      const flags = (['flagPgdWeakerThanFgsm', 'flagRobustAccRises', 'flagZeroGrad', 'flagZeroStep', 'flagGradientMasking'] as const).filter((f) => r[f]).join(',');
      console.log(
        `${r.attack.padEnd(17)} ${r.norm.padEnd(5)} ${String(r.eps).padEnd(8)} ${(r.robustAcc * 100).toFixed(2).padStart(9)}% ${(r.successRate * 100).toFixed(2).padStart(7)}% ${r.seconds.toFixed(1).padStart(9)}  ${flags}`,
      );
      if (r.brokenBy) console.log(`${''.padEnd(17)} broken by: ${r.brokenBy.replaceAll(';', ', ')}`);
      if (r.members) console.log(`${''.padEnd(17)} robust after: ${r.members.replaceAll(';', ', ')}`);
    }
    if (o.out) {
      const rows = ev.rows.map((r) => ({ runId: o.modelJson, experiment: 'attack', dataset: o.dataset, model: o.modelJson, regularizer: '', method: '', lambda: 0, seed: o.seed, ...r, certifiedAcc: null }));
      writeFileAtomic(o.out, toCsv(AttackRow, rows));
      console.log(`wrote ${o.out}`);
    }
    for (const run of ev.runs) for (const p of run.result.perEps) p.adversarial?.dispose();
  } finally {
    saved.dispose();
  }
}
