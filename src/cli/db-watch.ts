// `ddcn run` and `ddcn worker` on a database that stops answering without a word (db/watchdog.ts): said, and the
// process ends with exit 1, rather than waiting for ever on queries that will not come back.
import { watchDatabase, type Watch } from '../db/watchdog.js';
import { lostDatabaseMessage } from '../pipeline/worker.js';
import { answerSeconds } from './commands/run-flags.js';

/** Once lost, how long the process may take to stop the ordinary way (its queue, its pool) before it is ended. */
const STOP_WITHIN_MS = 15_000;

/** A watch that also knows whether the process has begun its work, to say what a loss left behind. */
export interface LostWatch extends Watch {
  /** From now on the process works on a batch (a run) or takes chunks (a worker). */
  begin(): void;
  /** Whether the database has been found lost. */
  readonly lost: boolean;
}

/**
 * Watches the database for a worker at work (`lost` is told, and the worker stops the ordinary way) or a run or a
 * process still starting (which have nothing to hand back: they end at once). Either way the process is ended, exit 1, with the message, if it has not
 * ended by itself STOP_WITHIN_MS later: its queries hang where the database went. Started before the migrations
 * (connect.ts), so that a process cut off while it starts is told too.
 */
export function watchForLostDatabase(url: string, applicationName: string, who: 'worker' | 'run', lost?: AbortController): LostWatch {
  const seconds = answerSeconds();
  let begun = false;
  let found = false;
  const watch = watchDatabase(url, {
    applicationName,
    // Its own session ends with the process's others when the process is gone (pool.ts).
    deadClientSeconds: seconds,
    answerWithinMs: seconds * 1000,
    onLost: (reason) => {
      found = true;
      const end = () => {
        process.stderr.write(`ddcn: failed: ${lostDatabaseMessage(reason, who, begun)}\n`);
        process.exit(1);
      };
      // Before it has begun, a worker holds no chunk to hand back: like a run, it has nothing to finish.
      if (!lost || !begun) return end();
      lost.abort(new Error(reason));
      setTimeout(end, STOP_WITHIN_MS).unref();
    },
  });
  return {
    stop: () => watch.stop(),
    begin: () => (begun = true),
    get lost() {
      return found;
    },
  };
}
