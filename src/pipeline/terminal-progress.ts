/**
 * The CLI's progress drawer: cli-progress bars on a terminal, nothing when stdout is a
 * pipe or a file (a log full of redrawn bars is unreadable). Installed once by the CLI;
 * the core only ever sees the ProgressFactory interface.
 */
import cliProgress from 'cli-progress';
import { installProgress, silentProgress } from '../util/progress.js';

export function installTerminalProgress(): void {
  installProgress((format) =>
    process.stdout.isTTY ? new cliProgress.SingleBar({ format, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : silentProgress,
  );
}
