import type { Command } from 'commander';
import { RegistryUnavailableError, UserError } from '../../errors.js';
import { positiveInt } from '../config.js';
import { withContext } from '../context.js';
import { requireCode, requireParticipants } from '../checks.js';
import { claimInterrupts, noteBatch } from '../interrupt.js';
import { buildRegistry, registrySettings } from '../registry.js';
import { checkOpenBatchRegistry, GRACE_MS, runBatch, workerName } from '../../pipeline/run.js';
import { importAtWork } from '../../db/import-runs.js';
import { workingConnectionName } from '../../db/jobs.js';
import { DEFAULT_RUN_CONFIG } from '../../pipeline/deps.js';
import { formatFinishedFirst, formatSummary, registryFailureMessage } from '../summary.js';
import { failedElsewhere, stillFailed } from '../../db/batches.js';
import { HttpRegistry } from '../../adapters/http.js';
import { FileExchangeRegistry } from '../../adapters/file-exchange.js';
import { addRegistryFlags, answerSeconds, maxInFlight, poolSizeFor, takeoverSeconds, type SharedRunOptions } from './run-flags.js';
import { rateLimitHooks } from './rate-limit.js';
import { watchForLostDatabase, type LostWatch } from '../db-watch.js';

/** Said after the summary of a run that met an import of participants at work. */
export const IMPORT_BESIDE =
  'an import of participants was at work on this database during this run: the people it changed after this batch ' +
  'read them are PENDING again (the counts above are of their earlier data), and the next `ddcn run` verifies them. ' +
  'Run the night\'s steps one after another (docs/runbook.md, The nightly sequence)';

interface RunOptions extends SharedRunOptions {
  province?: string;
  chunkSize: number;
  registryMaxInFlight?: string;
}

export function registerRun(cli: Command, logLevel: () => string | undefined): void {
  addRegistryFlags(
    cli
      .command('run')
      .description('one batch: export, verify with the registry, write the ĐDCN back, share (Plan 2207 I.1–I.4, II.1–II.2); resumable'),
  )
    .option('--province <code>', 'only participants of this province office (ma_tinh)')
    .option('--chunk-size <n>', 'people per chunk (one job, one transaction per step)', positiveInt('--chunk-size'), DEFAULT_RUN_CONFIG.chunkSize)
    .option('--registry-max-in-flight <n>', 'registry requests in flight across every process of the batch (env DDCN_REGISTRY_MAX_IN_FLIGHT; default no cap)')
    .action(async (o: RunOptions, command: Command) => {
      const started = Date.now();
      // Before the database opens, so that a wrong setting fails at once.
      const settings = registrySettings(o);
      const cap = maxInFlight(o.registryMaxInFlight);
      const takeover = takeoverSeconds();
      // One name for the pool's connections and the database watch's: counted as one process.
      const connectionName = workingConnectionName('run', workerName());
      // Watched from the start, the migrations included (connect.ts).
      let watch: LostWatch | undefined;
      await withContext(
        logLevel(),
        async (deps, { database, log }) => {
          await requireParticipants(database);
          const province = await requireCode(database, 'province', o.province);
          const signal = claimInterrupts(
            `the chunk steps in hand finish first, within ${GRACE_MS / 1000} s; a second Ctrl-C stops at once (the next run then does them again)`,
          );
          await checkOpenBatchRegistry(deps.db, settings.kind);
          // A run beside the night's import (two cron lines that overlapped, a step started by hand) verifies people
          // the import then changes: its summary counts them MATCHED, and they are PENDING again once it is over.
          let importSeen = await importAtWork(deps.db);
          const registry = await buildRegistry(settings, deps.db, log, deps.now, rateLimitHooks(deps.db, log));
          watch!.begin();
          try {
            const result = await runBatch(
              { ...deps, registry, config: { chunkSize: o.chunkSize, batchSize: o.batchSize, concurrency: o.concurrency } },
              {
                province: province ?? null, workers: o.workers, maxInFlight: cap, takeoverSeconds: takeover, signal, onBatch: noteBatch,
                asked: { chunkSize: command.getOptionValueSource('chunkSize') !== 'default', batchSize: command.getOptionValueSource('batchSize') !== 'default' },
                // Said as each is done: a later failure or Ctrl-C must not lose what was finished.
                onFinishedFirst: (b) => process.stderr.write(formatFinishedFirst(b) + '\n'),
              },
            );
            if (result.batchId !== null) process.stdout.write(`${result.batchId}\n`);
            const seconds = result.finishedFirst.length ? result.seconds : (Date.now() - started) / 1000;
            process.stderr.write(formatSummary(result, seconds) + '\n');
            importSeen ||= await importAtWork(deps.db);
            if (importSeen) process.stderr.write(IMPORT_BESIDE + '\n');
            // Who waits for answers, of the scope run, once this run has read the inbox (a run with nobody to verify
            // has not: answers may be there, for the next run to read).
            const exchange = registry instanceof FileExchangeRegistry ? registry : null;
            const waiting = exchange?.lookedAtInbox ? await exchange.waiting(result.province) : null;
            if (exchange) process.stderr.write(exchange.summary(waiting) + '\n');
            // The people the registry failed for, not verified when the run ends, in any batch it finished: a later batch of
            // the run may have verified again those an earlier one could not (and shared again its owed shares).
            // Counted in the database, not from the batch's counts: a person whose request failed may have become
            // CONFLICT when the batch settled its conflicts (someone else was given the number they hold), and is
            // then not PENDING, as the message would say (9 439 said against 9 429 in a review).
            const first = result.finishedFirst;
            const failedAny = result.counts.errors > 0 || first.some((b) => b.counts.errors > 0);
            const { people: errors, kept } = !failedAny
              ? { people: 0, kept: 0 }
              : await stillFailed(deps.db, [...first.map((b) => b.batchId), ...(result.batchId === null ? [] : [result.batchId])]);
            const covered = (b: { province: string | null }) => result.province === null || result.province === b.province;
            const shareFailed = result.shareFailed + first.filter((b) => !covered(b)).reduce((n, b) => n + b.shareFailed, 0);
            if (errors + shareFailed > 0) {
              const why = registry instanceof HttpRegistry || registry instanceof FileExchangeRegistry ? registry.failureSummary() : null;
              // Failures met by another process (a worker started with an old token or another URL): named, so that
              // the operator looks at that process rather than at this run's registry settings, which may be right.
              const batchIds = [...first.map((b) => b.batchId), ...(result.batchId === null ? [] : [result.batchId])];
              // The batch this run opened (not one it resumed or joined): whatever failed in it failed during this run.
              const openedHere = result.batchId !== null && !result.resumed && !result.joined ? [result.batchId] : [];
              const others = await failedElsewhere(deps.db, batchIds, workerName(), new Date(started), openedHere);
              const tokenRefused = registry instanceof HttpRegistry && registry.tokenRefused;
              // A URL with no registry API behind it is no outage that passes by itself: said as what it is.
              const addressWrong = registry instanceof HttpRegistry && registry.addressWrong && !tokenRefused;
              const what =
                registry instanceof FileExchangeRegistry
                  ? 'the file exchange failed'
                  : tokenRefused
                    ? 'the registry refused the token'
                    : addressWrong
                      ? 'the registry URL has no registry API'
                      : 'the registry is unavailable';
              throw new RegistryUnavailableError(registryFailureMessage({ what, why, errors, kept, shareFailed, others, tokenRefused, addressWrong }));
            }
            const failed = exchange?.runFailure(waiting);
            if (failed) throw new UserError(failed);
          } finally {
            await registry.close();
          }
        },
        {
          poolSize: poolSizeFor(o), applicationName: connectionName, deadClientSeconds: answerSeconds(),
          watch: (url) => (watch = watchForLostDatabase(url, connectionName, 'run')),
        },
      );
    });
}
