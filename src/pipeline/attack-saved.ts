/**
 * `lipbench attack <model.json>`: attack any saved tfjs LayersModel whose input is an
 * image in [0,1] with the dataset's shape, without retraining.
 */
import { AttackSpec } from '../attacks/index.js';
import { evaluateAttacks } from '../attacks/checks.js';
import { formatZodError, UserError } from '../config/errors.js';
import { DatasetName, disposeDataset, loadDataset } from '../data/index.js';
import { loadModel } from '../models/io.js';
import { writeFileAtomic } from '../results/atomic.js';
import { toCsv } from '../results/csv.js';
import { AttackRow } from '../results/rows.js';
import { resolvedAttackOptions, stepSizeNote } from '../charts/settings.js';

export interface AttackSavedOptions {
  readonly modelJson: string;
  readonly attack: string;
  readonly eps: readonly number[];
  readonly dataset: string;
  readonly n: number;
  readonly steps?: number;
  readonly stepSize?: number;
  readonly restarts?: number;
  readonly seed: number;
  readonly out?: string;
}

export async function attackSavedModel(o: AttackSavedOptions): Promise<void> {
  const ds = DatasetName.safeParse(o.dataset);
  if (!ds.success) throw new UserError(`--dataset: unknown dataset "${o.dataset}" (known: ${DatasetName.options.join(', ')})`);
  const raw = {
    name: o.attack,
    eps: [...o.eps],
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
    ...(o.stepSize !== undefined ? { stepSize: o.stepSize } : {}),
    ...(o.restarts !== undefined ? { restarts: o.restarts } : {}),
  };
  const spec = AttackSpec.safeParse(raw);
  if (!spec.success) throw new UserError(formatZodError('--attack', spec.error));
  let model;
  try {
    model = await loadModel(o.modelJson);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const data = await loadDataset(ds.data, { testSize: o.n });
  try {
    const inShape = model.inputs[0]!.shape.slice(1);
    if (inShape.join() !== data.imageShape.join()) {
      throw new UserError(`${o.modelJson}: model input shape [${inShape}] does not match ${o.dataset} images [${data.imageShape}]`);
    }
    const ev = await evaluateAttacks(model, data.test.x, data.test.y, [raw] as Parameters<typeof evaluateAttacks>[3], undefined, {
      seed: o.seed,
      progress: Boolean(process.stdout.isTTY),
      largeEpsCheck: false,
    });
    // The settings the numbers came from, defaults filled in, so the output can be cited.
    const resolved = resolvedAttackOptions(spec.data.name, spec.data.options);
    console.log(`${spec.data.name} on the first ${data.test.x.shape[0]} ${o.dataset} test points, seed ${o.seed}, options ${JSON.stringify(resolved)}${stepSizeNote(resolved)}`);
    console.log('attack      norm  eps      robust acc  success  flags');
    for (const r of ev.rows) {
      const flags = (['flagRobustAccRises', 'flagZeroGrad'] as const).filter((f) => r[f]).join(',');
      console.log(`${r.attack.padEnd(11)} ${r.norm.padEnd(5)} ${String(r.eps).padEnd(8)} ${(r.robustAcc * 100).toFixed(2).padStart(9)}% ${(r.successRate * 100).toFixed(2).padStart(7)}%  ${flags}`);
    }
    if (o.out) {
      const rows = ev.rows.map((r) => ({ runId: o.modelJson, experiment: 'attack', dataset: o.dataset, model: o.modelJson, regularizer: '', method: '', lambda: 0, seed: o.seed, ...r, certifiedAcc: null }));
      writeFileAtomic(o.out, toCsv(AttackRow, rows));
      console.log(`wrote ${o.out}`);
    }
    for (const run of ev.runs) for (const p of run.result.perEps) p.adversarial?.dispose();
  } finally {
    model.dispose();
    disposeDataset(data);
  }
}
