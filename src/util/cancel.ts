/**
 * Cooperative cancellation for long loops (training steps, attack batches, Lipschitz
 * stages). JavaScript runs a signal handler only when the event loop gets a turn, and
 * tfjs on the cpu/wasm backends computes synchronously, so a loop that never yields
 * holds Ctrl-C until the whole grid is done. `checkpoint` yields at most every
 * YIELD_EVERY_MS (a macrotask: a resolved promise would not let the handler run) and
 * throws Cancelled once the signal is aborted.
 *
 * No Node imports: the core runs in browsers too, where an AbortController's signal
 * fits the same interface.
 */

/** The part of AbortSignal the core reads; a DOM or Node AbortSignal satisfies it. */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

export class Cancelled extends Error {
  constructor(readonly reason: unknown) {
    super(`cancelled (${String(reason)})`);
    this.name = 'Cancelled';
  }
}

/**
 * Latency of a cancel vs. overhead: one turn costs ~1 ms (a setTimeout(0) clamp), so
 * 100 ms between turns costs ~1 % and adds at most 0.1 s to the time to stop.
 */
export const YIELD_EVERY_MS = 100;
let lastYield = 0;

/** Give the event loop a turn if due, then throw Cancelled if `signal` was aborted. */
export async function checkpoint(signal: CancelSignal | undefined): Promise<void> {
  if (signal === undefined) return;
  if (performance.now() - lastYield >= YIELD_EVERY_MS) {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    lastYield = performance.now();
  }
  if (signal.aborted) throw new Cancelled(signal.reason);
}
