/**
 * Progress for long loops (training epochs, attack batches) without tying the core to
 * a terminal: the core asks for a bar through `createProgress`, and whoever hosts it
 * decides how it is drawn. The CLI installs a cli-progress bar on a TTY
 * (`installProgress` in the harness); a web page may install its own; by default
 * nothing is drawn. This keeps `process.stdout` and cli-progress out of the core, which
 * must load in a browser.
 */

/** Named fields a bar's format may show beside its counter, e.g. `{ loss: '0.31' }`. */
export type ProgressFields = Readonly<Record<string, string | number>>;

export interface ProgressBar {
  start(total: number, value: number, fields?: ProgressFields): void;
  update(value: number, fields?: ProgressFields): void;
  increment(delta?: number): void;
  stop(): void;
}

/**
 * Makes a bar from a format in cli-progress's template language: `{bar}`, `{value}`,
 * `{total}`, `{eta}`/`{eta_formatted}`, `{percentage}` and any field name.
 */
export type ProgressFactory = (format: string) => ProgressBar;

/** A bar that draws nothing: the default, and what a host returns where it cannot draw. */
export const silentProgress: ProgressBar = {
  start() {},
  update() {},
  increment() {},
  stop() {},
};

let factory: ProgressFactory = () => silentProgress;

/** Replaces how bars are drawn; returns the previous factory so a caller can restore it. */
export function installProgress(next: ProgressFactory): ProgressFactory {
  const previous = factory;
  factory = next;
  return previous;
}

export function createProgress(format: string): ProgressBar {
  return factory(format);
}
