// `ddcn run` and `ddcn worker` on a database that stops answering without a word (db/watchdog.ts): said, and the
// process ends with exit 1, rather than waiting for ever on queries that will not come back.
import { watchDatabase, type Watch } from '../db/watchdog.js';
import { lostDatabaseMessage } from '../pipeline/worker.js';
import { answerSeconds } from './commands/run-flags.js';

/** Once lost, how long the process may take to stop the ordinary way (its queue, its pool) before it is ended. */
const STOP_WITHIN_MS = 15_000;

/**
 * Watches the database for a worker (`lost` is told, and the worker stops the ordinary way) or a run (which has
 * nothing to hand back: it ends at once). Either way the process is ended, exit 1, with the message, if it has not
 * ended by itself STOP_WITHIN_MS later: its queries hang where the database went.
 */
export function watchForLostDatabase(url: string, applicationName: string, who: 'worker' | 'run', lost?: AbortController): Watch {
  const seconds = answerSeconds();
  return watchDatabase(url, {
    applicationName,
    // Its own session ends with the process's others when the process is gone (pool.ts).
    deadClientSeconds: seconds,
    answerWithinMs: seconds * 1000,
    onLost: (reason) => {
      const end = () => {
        process.stderr.write(`ddcn: failed: ${lostDatabaseMessage(reason, who)}\n`);
        process.exit(1);
      };
      if (!lost) return end();
      lost.abort(new Error(reason));
      setTimeout(end, STOP_WITHIN_MS).unref();
    },
  });
}
