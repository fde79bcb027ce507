/**
 * The report's "Settings" section: everything needed to rerun the experiment from the
 * page alone. The per-run numbers come from the CSVs; what the CSVs do not hold (the
 * attack options, the Lipschitz options, which test points were attacked, versions)
 * comes from the config.json and environment saved beside them, when present.
 */
import { z } from 'zod';
import { resolvedAttackOptions } from '../attacks/index.js';
import type { AttackRow, RunRow } from '../results/rows.js';
import { compareAttacks, compareRunKeys, formatEps, groupBy, methodOf } from './common.js';
import { html, type Html } from './html.js';
import type { ReportSection } from './html.js';

/** The parts of config.json the report shows; loose, so older or newer files still read. */
export const SavedConfig = z
  .object({
    source: z.string().optional(),
    config: z
      .object({
        name: z.string(),
        description: z.string().optional(),
        datasets: z.array(z.string()).optional(),
        data: z.record(z.string(), z.unknown()).optional(),
        models: z.array(z.unknown()).optional(),
        seeds: z.array(z.number()).optional(),
        train: z.record(z.string(), z.unknown()).optional(),
        attacks: z.array(z.object({ name: z.string(), eps: z.array(z.number()).nullish(), options: z.record(z.string(), z.unknown()).default({}) }).loose()).optional(),
        attackSize: z.number().optional(),
        lipschitz: z.record(z.string(), z.unknown()).optional(),
      })
      .loose(),
    environment: z
      .object({
        lipbenchVersion: z.string().nullable(),
        gitCommit: z.string().nullable(),
        tfjsVersion: z.string(),
        backend: z.string(),
        node: z.string(),
        cpu: z.string(),
        cores: z.number(),
      })
      .nullish(),
  })
  .loose();
export type SavedConfig = z.infer<typeof SavedConfig>;

const json = (v: unknown): string => JSON.stringify(v);
const uniq = (xs: readonly (string | number)[]): string => [...new Set(xs)].join(', ');

/** PGD without a step size uses Madry et al.'s 2.5·ε/steps; the resolved options cannot show that. */
export function stepSizeNote(name: string, resolved: Record<string, unknown>): string {
  return name.startsWith('pgd-') && resolved['stepSize'] === undefined && resolved['relStepSize'] === undefined ? ' (step size 2.5·ε/steps)' : '';
}

function dl(items: readonly [string, Html | string][]): Html {
  return html`<dl class="settings">${items.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

export function settingsSection(results: readonly RunRow[], attacks: readonly AttackRow[], saved: SavedConfig | null): ReportSection {
  if (results.length === 0) return { id: 'settings', title: 'Settings', body: html`<p class="empty">No runs in results.csv.</p>` };
  const cfg = saved?.config;
  const env = saved?.environment ?? null;
  const runs = [...results].sort(compareRunKeys);
  const attackN = uniq(attacks.map((a) => a.n));
  const data: [string, Html | string][] = [
    ['Datasets', uniq(runs.map((r) => r.dataset))],
    ['Training examples', uniq(runs.map((r) => r.trainSize))],
    ['Test examples (clean accuracy)', uniq(runs.map((r) => r.testSize))],
    ['Train-accuracy examples', cfg?.data?.['trainEvalSize'] !== undefined ? String(cfg.data['trainEvalSize']) : 'all training examples'],
    ['Subset choice', cfg?.data?.['shuffleSeed'] !== undefined ? `shuffled with seed ${String(cfg.data['shuffleSeed'])}` : 'the first N examples of the dataset files'],
    ['Attacked points', attackN === '' ? '—' : `the first ${attackN} test examples, the same for every run, attack and ε`],
  ];
  const train: [string, Html | string][] = [
    ['Model', uniq(runs.map((r) => r.model)) + (cfg?.models ? ` (${cfg.models.map(json).join('; ')})` : '')],
    ['Epochs', uniq(runs.map((r) => r.epochs))],
    ['Batch size', uniq(runs.map((r) => r.batchSize))],
    ['Optimizer', cfg?.train?.['optimizer'] !== undefined ? json(cfg.train['optimizer']) : uniq(runs.map((r) => `${r.optimizer}, learning rate ${r.learningRate}`))],
    ['Learning rate', uniq(runs.map((r) => r.learningRate))],
    ['Seeds', uniq(runs.map((r) => r.seed))],
  ];
  const methods = [...groupBy(runs, (r) => JSON.stringify([methodOf(r), r.lambda])).values()].map((rs) => rs[0]!);
  const methodTable = html`<table class="settings-methods"><thead><tr><th>Method</th><th>λ</th><th>Full options (resolved, as trained)</th></tr></thead><tbody>
${methods.map((r) => html`<tr><td>${methodOf(r)}</td><td class="num">${r.lambda}</td><td class="id">${r.regularizers}</td></tr>\n`)}</tbody></table>`;
  const specs = cfg?.attacks ?? [];
  const attackNames = [...new Set(attacks.map((a) => a.attack))].sort(compareAttacks);
  const attackTable = html`<table class="settings-attacks"><thead><tr><th>Attack</th><th>Norm</th><th>ε</th><th>Options (defaults filled in)</th></tr></thead><tbody>
${attackNames.map((name) => {
  const spec = specs.find((s) => s.name === name);
  const rows = attacks.filter((a) => a.attack === name);
  const eps = [...new Set(rows.map((a) => a.eps))].sort((a, b) => a - b).map(formatEps).join(', ');
  return html`<tr><td>${name}</td><td>${rows[0]?.norm === 'linf' ? 'ℓ∞' : 'ℓ2'}</td><td>${eps}</td><td class="id">${spec ? json(resolvedAttackOptions(name, spec.options)) + stepSizeNote(name, resolvedAttackOptions(name, spec.options)) : 'not recorded (no config.json)'}</td></tr>\n`;
})}</tbody></table>`;
  const envItems: [string, Html | string][] = [
    ['Backend', uniq(runs.map((r) => r.backend))],
    ['lipbench', env ? `${env.lipbenchVersion ?? 'unknown version'}, commit ${env.gitCommit ?? 'unknown (not a git checkout)'}` : 'not recorded'],
    ['TensorFlow.js', env?.tfjsVersion ?? 'not recorded'],
    ['Node, CPU', env ? `${env.node}, ${env.cpu} (${env.cores} cores)` : 'not recorded'],
  ];
  const rerun = saved?.source ? html`<p>Rerun: <code>npx lipbench run ${saved.source}</code></p>` : '';
  const wall = html`<table class="settings-wall"><thead><tr><th>Run</th><th>Method</th><th>λ</th><th>Seed</th><th>Training s</th><th>Attack s</th></tr></thead><tbody>
${runs.map((r) => {
  const attackSeconds = attacks.filter((a) => a.runId === r.runId).reduce((s, a) => s + a.seconds, 0);
  return html`<tr><td class="id">${r.runId}</td><td>${methodOf(r)}</td><td class="num">${r.lambda}</td><td class="num">${r.seed}</td><td class="num">${r.trainSeconds.toFixed(1)}</td><td class="num">${attackSeconds.toFixed(1)}</td></tr>\n`;
})}</tbody></table>`;
  const body = html`${cfg ? html`<p><strong>${cfg.name}</strong>${cfg.description ? html`: ${cfg.description}` : ''}</p>` : html`<p class="note">No config.json beside the CSVs: settings below come from the CSV columns only.</p>`}${rerun}
<h3>Data</h3>${dl(data)}
<h3>Model and training</h3>${dl(train)}
<h3>Methods</h3>${methodTable}
<h3>Attacks</h3>${attackTable}
${cfg?.lipschitz ? html`<h3>Lipschitz measurement</h3>${dl([['Options', json(cfg.lipschitz)], ['Norm', 'ℓ2 → ℓ2 (inputs and logits in the Euclidean norm) for every bound']])}` : ''}
<h3>Software and machine</h3>${dl(envItems)}
${cfg ? html`<details><summary>The resolved experiment config (config.json), to rerun without the original file</summary><pre class="config">${JSON.stringify(cfg, null, 2)}</pre></details>` : ''}
<h3>Wall time per run</h3>${wall}`;
  return { id: 'settings', title: 'Settings', body };
}
