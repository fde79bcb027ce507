import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'src', 'cli.ts');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], cwd = ROOT): CliResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, LIPBENCH_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function spawnCli(args: string[], cwd = ROOT) {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A tiny, fast experiment config (MLP on 300 MNIST images) as a JSON file. */
export function writeTinyExperiment(dir: string, name: string, overrides: Record<string, unknown> = {}): string {
  const cfg = {
    name,
    data: { trainSize: 300, testSize: 100 },
    models: [{ kind: 'mlp', hidden: [16] }],
    methods: [{ name: 'none' }, { name: 'l2', lambda: [1e-4, 1e-3] }],
    seeds: [0],
    train: { epochs: 1, batchSize: 50 },
    attacks: [{ name: 'fgsm', eps: [0, 0.1] }],
    attackSize: 50,
    lipschitz: { gradPoints: 50 },
    ...overrides,
  };
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(cfg));
  return file;
}
