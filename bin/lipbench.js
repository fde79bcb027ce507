#!/usr/bin/env node
// Entry point for `npx lipbench`: runs src/cli.ts in a child node with tsx's loader
// and supervises it.
//
// Why a child: tfjs on the cpu/wasm backends computes synchronously, and one attack
// batch (PGD, 40 steps) can hold the JavaScript thread for seconds, so a signal handler
// in that process cannot run in time. This small process stays responsive: on
// SIGINT/SIGTERM it forwards the signal (the child stops at its next checkpoint and
// releases its lock), and if the child is not gone within GRACE_MS it is killed; the
// results store is built to survive a SIGKILL at any moment (atomic files, records
// before CSVs). Its results locks are then removed here, and the exit code is 130 for
// SIGINT and 143 for SIGTERM. A second signal kills the child at once.
//
// Why `--import tsx` and not tsx's register(): register() hooks ESM only, so a user's
// experiment .ts in a folder without "type": "module" went through require() and failed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const GRACE_MS = 1000;
const EXIT = { SIGINT: 130, SIGTERM: 143 };
const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.ts');
const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), cli, ...process.argv.slice(2)], {
  stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
});

/** Lock files the child reported holding (src/results/lock.ts). */
const locks = new Set();
child.on('message', (m) => {
  if (m && typeof m === 'object' && typeof m.lipbenchLock === 'string') locks.add(m.lipbenchLock);
  if (m && typeof m === 'object' && typeof m.lipbenchUnlock === 'string') locks.delete(m.lipbenchUnlock);
});

let signalled;
let killTimer;
function killChild(why) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (why) console.error(`lipbench: ${why}; killed it (finished runs are saved)`);
  child.kill('SIGKILL');
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (signalled) return killChild();
    signalled = sig;
    // A terminal's Ctrl-C reaches the child too; the child treats the second copy as
    // "exit now", which is as safe as stopping at a checkpoint.
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    killTimer = setTimeout(() => killChild(`still busy ${GRACE_MS / 1000} s after ${sig} (inside one long computation)`), GRACE_MS);
  });
}

child.on('exit', (code, sig) => {
  clearTimeout(killTimer);
  // A child that was killed could not remove its locks; one that exited did.
  for (const file of locks) {
    try {
      if (JSON.parse(fs.readFileSync(file, 'utf8')).pid === child.pid) fs.unlinkSync(file);
    } catch {
      /* gone already, or not ours */
    }
  }
  if (signalled) process.exit(code === 0 ? 0 : EXIT[signalled]);
  if (sig) process.exit(128 + (sig === 'SIGKILL' ? 9 : sig === 'SIGTERM' ? 15 : sig === 'SIGINT' ? 2 : 1));
  process.exit(code ?? 1);
});
