// Whether the database still answers, asked on a connection of its own. A worker cut off from the database without
// a word — a cable pulled, a firewall that drops, a machine's network gone — gets no error: every query it has in
// flight, and pg-boss's next look for work, wait for an answer that never comes (TCP gives up after some 15 minutes
// with data in flight, never on an idle connection). Measured across a network (scripts/netns-workers.ts
// --partition): the batch was finished by the others, and the cut worker had not exited ten minutes later.
//
// So a worker asks `SELECT 1` every few seconds on a connection no chunk step waits for, and is told when no answer
// comes within the time given. A busy database answers it at once: it takes no lock and reads nothing.
import pg from 'pg';

export interface WatchOptions {
  /** The name the connection shows in pg_stat_activity: the worker's own, so that it is counted once. */
  applicationName: string;
  /** How long an answer may take before the database is taken for lost. */
  answerWithinMs: number;
  /** Called once, with what happened (no personal data: a timeout or the driver's error). */
  onLost: (reason: string) => void;
}

export interface Watch {
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Within `ms`, or null. */
async function within<T>(ms: number, work: Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Asks the database at `url` whether it answers, every third of `answerWithinMs`, until stopped; `onLost` once it
 * does not (in time, or at all). Its timers keep no process alive.
 */
export function watchDatabase(url: string, opts: WatchOptions): Watch {
  const client = new pg.Client({ connectionString: url, application_name: opts.applicationName, keepAlive: true });
  client.on('error', () => undefined); // said by the next question
  let stopped = false;
  const every = Math.max(250, Math.floor(opts.answerWithinMs / 3));
  const seconds = opts.answerWithinMs / 1000;
  const ask = async (work: () => Promise<unknown>, what: string): Promise<boolean> => {
    try {
      if ((await within(opts.answerWithinMs, work().then(() => true))) !== null) return true;
      if (!stopped) opts.onLost(`no answer from the database ${what} within ${seconds} s`);
    } catch (err) {
      if (!stopped) opts.onLost((err as Error).message);
    }
    return false;
  };
  const loop = (async () => {
    if (!(await ask(() => client.connect(), 'to a new connection'))) return;
    while (!stopped) {
      await sleep(every);
      if (stopped || !(await ask(() => client.query('SELECT 1'), 'to a question'))) return;
    }
  })();
  return {
    async stop() {
      stopped = true;
      await within(1000, loop);
      await within(1000, client.end().catch(() => undefined));
    },
  };
}
