/**
 * Where a run's numbers came from, recorded once per experiment in config.json so the
 * report can state it: lipbench's version and git commit, tfjs's version, the backend,
 * Node and the CPU. Each item is best effort (a copy outside git has no commit).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PROJECT_ROOT } from '../node/paths.js';
import { lipbenchVersion } from '../node/version.js';

export interface Environment {
  lipbenchVersion: string | null;
  /** `git rev-parse HEAD` of the checkout, with `-dirty` when it has uncommitted changes. */
  gitCommit: string | null;
  tfjsVersion: string;
  backend: string;
  node: string;
  cpu: string;
  cores: number;
}

function gitCommit(): string | null {
  const git = (args: string[]): string => execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const head = git(['rev-parse', 'HEAD']);
    const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
    return dirty ? `${head}-dirty` : head;
  } catch {
    return null;
  }
}

export function environmentInfo(backend: string): Environment {
  return {
    lipbenchVersion: lipbenchVersion(),
    gitCommit: gitCommit(),
    tfjsVersion: tf.version_core,
    backend,
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
  };
}
