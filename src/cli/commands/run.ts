import type { Command } from 'commander';
import { Option } from 'commander';
import { UserError } from '../../errors.js';
import { positiveInt } from '../config.js';
import { withContext } from '../context.js';
import { buildRegistry } from '../registry.js';
import { runBatch } from '../../pipeline/run.js';
import { DEFAULT_RUN_CONFIG } from '../../pipeline/deps.js';
import { formatSummary } from '../summary.js';

export function registerRun(cli: Command, logLevel: () => string | undefined): void {
  cli
    .command('run')
    .description('one batch: export, verify with the registry, write the ĐDCN back, share (Plan 2207 I.1–I.4, II.1–II.2); resumable')
    .addOption(new Option('--registry <kind>', 'registry adapter').choices(['mock']).default('mock'))
    .option('--registry-data <file>', 'mock registry data (CSV: so_ddcn,so_cmnd,ho_ten,ngay_sinh,gioi_tinh)')
    .option('--province <code>', 'only participants of this province office (ma_tinh)')
    .option('--chunk-size <n>', 'people per chunk (one transaction each)', positiveInt('--chunk-size'), DEFAULT_RUN_CONFIG.chunkSize)
    .option('--batch-size <n>', 'people per registry request', positiveInt('--batch-size'), DEFAULT_RUN_CONFIG.batchSize)
    .option('--concurrency <n>', 'registry requests in flight', positiveInt('--concurrency'), DEFAULT_RUN_CONFIG.concurrency)
    .action(async (o: { registry: string; registryData?: string; province?: string; chunkSize: number; batchSize: number; concurrency: number }) => {
      const started = Date.now();
      await withContext(logLevel(), async (deps, { log }) => {
        const registry = await buildRegistry(o, deps.db, log);
        try {
          const result = await runBatch(
            { ...deps, registry, config: { chunkSize: o.chunkSize, batchSize: o.batchSize, concurrency: o.concurrency } },
            { province: o.province ?? null },
          );
          if (result.batchId !== null) process.stdout.write(`${result.batchId}\n`);
          process.stderr.write(formatSummary(result, (Date.now() - started) / 1000) + '\n');
          const unverified = result.counts.errors + result.shareFailed;
          if (unverified > 0) {
            throw new UserError(
              `${result.counts.errors} people could not be verified and ${result.shareFailed} could not be shared because the registry failed; ` +
                'they are PENDING and the next `ddcn run` retries them',
            );
          }
        } finally {
          await registry.close();
        }
      });
    });

}
