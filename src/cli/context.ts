import { openDatabase, type ConnectOptions, type Database } from '../db/connect.js';
import { cliLogLevel, createLogger, type Logger } from '../log.js';
import { ttyProgress } from '../progress.js';
import { ttyRunProgress } from '../run-progress.js';
import type { Deps } from '../pipeline/deps.js';
import { loadConfig, type Config } from './config.js';
import { interruption, stopOnInterrupt } from './interrupt.js';

/** `--log-level`, else DDCN_LOG_LEVEL when set, else warn on a terminal and the configured default elsewhere. */
export function commandLogLevel(flag: string | undefined, config: Config, env: NodeJS.ProcessEnv = process.env): string {
  return cliLogLevel(flag ?? (env.DDCN_LOG_LEVEL ? config.logLevel : undefined), config.logLevel);
}

/** What every command gets: config, logger, database and clock, opened once and closed when it ends. */
export async function withContext<T>(
  logLevel: string | undefined,
  fn: (deps: Deps, ctx: { config: Config; database: Database; log: Logger }) => Promise<T>,
  opts: { poolSize?: number; applicationName?: string; deadClientSeconds?: number; signal?: AbortSignal; watch?: ConnectOptions['watch'] } = {},
): Promise<T> {
  const config = loadConfig();
  const log = createLogger(commandLogLevel(logLevel, config));
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    home: config.home,
    poolSize: opts.poolSize,
    applicationName: opts.applicationName,
    deadClientSeconds: opts.deadClientSeconds,
    onServerLog: (msg) => log.debug({ component: 'embedded-postgres' }, msg.trim()),
    say: (msg) => log.warn(msg),
    // A command that claims the signals (run) stops waiting for a migration on them; the others exit on them anyway.
    signal: opts.signal ?? interruption,
    watch: opts.watch,
  });
  if (database.migrated.length) log.info({ migrations: database.migrated }, 'database migrations applied');
  if (database.created) {
    // Loud on purpose: under cron, a new database usually means DDCN_HOME is missing or wrong.
    process.stderr.write(`ddcn: created a new, empty database: ${database.where} (set DDCN_HOME or DATABASE_URL to use another)\n`);
  }
  const unregister = database.embedded ? stopOnInterrupt(() => database.stopServer()) : () => false;
  try {
    return await fn(
      { db: database.db, log, now: () => new Date(), planYear: config.planYear, progress: ttyProgress(), runProgress: ttyRunProgress() },
      { config, database, log },
    );
  } finally {
    unregister();
    await database.close();
  }
}
