// Whether the database still answers, asked on a connection of its own. A worker cut off from the database without
// a word — a cable pulled, a firewall that drops, a machine's network gone — gets no error: every query it has in
// flight, and pg-boss's next look for work, wait for an answer that never comes (TCP gives up after some 15 minutes
// with data in flight, never on an idle connection). Measured across a network (scripts/netns-workers.ts
// --partition): the batch was finished by the others, and the cut worker had not exited ten minutes later.
//
// So a run or a worker asks `SELECT 1` every third of the time given, on a connection no chunk step waits for (one
// connection more per process), and is told once no answer has come for the whole of that time. An error (a
// connection refused, the server full, the session ended by an administrator) is asked again, on a new connection, a
// second later: only a silence or errors that last the whole time count. A busy database answers at once: the
// question takes no lock and reads nothing.
import pg from 'pg';
import { connectionConfig, type ConnectionOptions } from './pool.js';

export interface WatchOptions extends ConnectionOptions {
  /** The name the connection shows in pg_stat_activity: the process's own, so that it is counted once. */
  applicationName: string;
  /** How long the database may go without answering before it is taken for lost. */
  answerWithinMs: number;
  /** Called once, with what happened (no personal data: a timeout or the driver's error). */
  onLost: (reason: string) => void;
}

export interface Watch {
  stop(): Promise<void>;
}

/** After an error, the next question. */
const AGAIN_MS = 1000;
/** The beat that tells the time this process was not running, and the lateness a beat has anyway. */
const BEAT_MS = 100;
const BEAT_JITTER_MS = 20;

export function watchDatabase(url: string, opts: WatchOptions): Watch {
  const config = connectionConfig(url, opts);
  const every = Math.max(250, Math.floor(opts.answerWithinMs / 3));
  let client: pg.Client | null = null;
  let stopped = false;
  let wake: (() => void) | null = null;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => ((wake = null), resolve()), ms).unref();
      wake = () => (clearTimeout(timer), (wake = null), resolve());
    });
  const drop = () => {
    const c = client as (pg.Client & { connection?: { stream?: { destroy(): void } } }) | null;
    client = null;
    // Its socket closed at once: a polite end waits on a server that may never answer (and never settles a connect
    // under way, node-pg 8).
    c?.connection?.stream?.destroy();
    void c?.end().catch(() => undefined);
  };

  /** One question, within `ms`: null when answered, else what went wrong. */
  const ask = async (ms: number): Promise<string | null> => {
    let answered = false;
    const work = (async () => {
      if (!client) {
        client = new pg.Client(config);
        client.on('error', () => undefined); // said by the question under way, or the next
        await client.connect();
      }
      await client.query('SELECT 1');
      answered = true;
    })();
    work.catch(() => undefined); // a question given up on may still fail later
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms).unref()));
    const outcome = await Promise.race([work.then(() => null, (err: unknown) => (err as Error).message), late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      // The timer may have fired first only because this thread was busy while the answer waited to be read.
      await new Promise((resolve) => setImmediate(resolve));
      if (answered) return null;
      drop();
      return 'late';
    }
    if (outcome !== null) drop();
    return outcome;
  };

  // The time this process was not running (its thread busy, or the process stopped), told by a beat that notes how
  // late it comes: that time is no silence of the database's, whenever it falls.
  let lostMs = 0;
  let beatAt = performance.now();
  const beat = setInterval(() => {
    const now = performance.now();
    const late = now - beatAt - BEAT_MS;
    if (late > BEAT_JITTER_MS) lostMs += late;
    beatAt = now;
  }, BEAT_MS).unref();

  const loop = (async () => {
    // Timed by the monotonic clock: a step of the wall clock (NTP) neither makes a silence nor hides one.
    let answeredAt = performance.now();
    let lostAtAnswer = lostMs;
    const silence = () => performance.now() - answeredAt - (lostMs - lostAtAnswer);
    let lastError: string | null = null;
    let silent = false; // a question since the last answer had no answer at all
    while (!stopped) {
      // At least a pause's length for each question, whatever is left of the time: after the process was stopped
      // (Ctrl-Z) or its thread busy, the question after is not given a millisecond. So a silence is told at most a
      // pause and a second after the time (41 s for 30), plus the time this process was not running.
      const wrong = await ask(Math.max(every, opts.answerWithinMs - silence()));
      if (stopped) return;
      if (wrong === null) {
        answeredAt = performance.now();
        lostAtAnswer = lostMs;
        lastError = null;
        silent = false;
      } else {
        if (wrong === 'late') silent = true;
        else lastError = wrong;
        if (silence() >= opts.answerWithinMs) {
          const seconds = opts.answerWithinMs / 1000;
          // A server that answered with errors all along said why: that, not a silence.
          opts.onLost(lastError && !silent ? `errors from the database for ${seconds} s, the last: ${lastError}` : `no answer from the database within ${seconds} s`);
          return;
        }
      }
      await pause(wrong === null ? every : Math.min(every, AGAIN_MS));
    }
  })();

  return {
    async stop() {
      stopped = true;
      clearInterval(beat);
      wake?.();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([loop, new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
      clearTimeout(timer);
      drop();
    },
  };
}
