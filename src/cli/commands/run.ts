import type { Command } from 'commander';
import { Option } from 'commander';
import { RegistryUnavailableError } from '../../errors.js';
import { positiveInt } from '../config.js';
import { withContext } from '../context.js';
import { requireParticipants } from '../checks.js';
import { claimInterrupts, noteBatch } from '../interrupt.js';
import { buildRegistry, REGISTRY_KINDS, registrySettings, type RegistryOptions } from '../registry.js';
import { runBatch } from '../../pipeline/run.js';
import { DEFAULT_RUN_CONFIG } from '../../pipeline/deps.js';
import { formatSummary } from '../summary.js';
import { HttpRegistry } from '../../adapters/http.js';
import { FileExchangeRegistry } from '../../adapters/file-exchange.js';

interface RunOptions extends RegistryOptions {
  province?: string;
  chunkSize: number;
  batchSize: number;
  concurrency: number;
}

export function registerRun(cli: Command, logLevel: () => string | undefined): void {
  cli
    .command('run')
    .description('one batch: export, verify with the registry, write the ĐDCN back, share (Plan 2207 I.1–I.4, II.1–II.2); resumable')
    .addOption(new Option('--registry <kind>', 'registry adapter (env DDCN_REGISTRY): http, the population registry API; file, the file exchange; mock, a test double reading --registry-data').choices([...REGISTRY_KINDS]))
    .option('--registry-data <file>', 'mock registry data (CSV: so_ddcn,so_cmnd,ho_ten,ngay_sinh,gioi_tinh)')
    .option('--registry-url <url>', 'http: base URL of the registry API (env DDCN_REGISTRY_URL)')
    .option('--registry-token <token>', 'http: bearer token (env DDCN_REGISTRY_TOKEN, preferred: flags show in ps)')
    .option('--registry-timeout <ms>', 'http: per-request timeout in ms (env DDCN_REGISTRY_TIMEOUT_MS; default 10000)')
    .option('--registry-retries <n>', 'http: retries per request (env DDCN_REGISTRY_RETRIES; default 5)')
    .option('--outbox <dir>', 'file: folder for request files (env DDCN_REGISTRY_OUTBOX)')
    .option('--inbox <dir>', 'file: folder the answer files arrive in (env DDCN_REGISTRY_INBOX)')
    .option('--province <code>', 'only participants of this province office (ma_tinh)')
    .option('--chunk-size <n>', 'people per chunk (one transaction each)', positiveInt('--chunk-size'), DEFAULT_RUN_CONFIG.chunkSize)
    .option('--batch-size <n>', 'people per registry request', positiveInt('--batch-size'), DEFAULT_RUN_CONFIG.batchSize)
    .option('--concurrency <n>', 'registry requests in flight', positiveInt('--concurrency'), DEFAULT_RUN_CONFIG.concurrency)
    .action(async (o: RunOptions) => {
      const started = Date.now();
      // Before the database opens, so that a wrong setting fails at once.
      const settings = registrySettings(o);
      await withContext(logLevel(), async (deps, { database, log }) => {
        await requireParticipants(database);
        const signal = claimInterrupts();
        const registry = await buildRegistry(settings, deps.db, log, deps.now);
        try {
          const result = await runBatch(
            { ...deps, registry, config: { chunkSize: o.chunkSize, batchSize: o.batchSize, concurrency: o.concurrency } },
            { province: o.province ?? null, signal, onBatch: noteBatch },
          );
          if (result.batchId !== null) process.stdout.write(`${result.batchId}\n`);
          process.stderr.write(formatSummary(result, (Date.now() - started) / 1000) + '\n');
          if (registry instanceof FileExchangeRegistry) process.stderr.write(registry.summary() + '\n');
          const unverified = result.counts.errors + result.shareFailed;
          if (unverified > 0) {
            const why = registry instanceof HttpRegistry ? registry.failureSummary() : null;
            throw new RegistryUnavailableError(
              `the registry is unavailable${why ? ` (${why})` : ''}: ${result.counts.errors} people could not be verified and ` +
                `${result.shareFailed} could not be shared. They are PENDING and the next \`ddcn run\` picks them up.`,
            );
          }
        } finally {
          await registry.close();
        }
      });
    });
}
