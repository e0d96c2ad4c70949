import { UserError } from '../errors.js';
import { createDb, type Db } from './pool.js';
import { migrate } from './migrate.js';
import { SQLSTATE, sqlState } from './sqlstate.js';
import { startEmbedded } from './embedded.js';

export interface Database {
  db: Db;
  url: string;
  embedded: boolean;
  /** True when the embedded server's data folder was made just now: the database is new and empty. */
  created: boolean;
  /** Which database this is, for messages: the embedded data folder, or the URL without its password. */
  where: string;
  /** The migrations this opening applied (a new database: all of them; after an upgrade: the new ones). */
  migrated: string[];
  close(): Promise<void>;
  /** Stops the embedded server at once, queries under way or not (an interruption); nothing for DATABASE_URL. */
  stopServer(): Promise<void>;
}

export interface ConnectOptions {
  databaseUrl?: string | undefined;
  home: string; // DDCN_HOME: where the embedded server keeps its data
  poolSize?: number;
  /** How the connections show in pg_stat_activity (default `ddcn`). */
  applicationName?: string;
  /** A batch's processes: how soon the server ends the sessions of one cut off from it (pool.ts). */
  deadClientSeconds?: number;
  onServerLog?: (msg: string) => void;
  /** Said while the migrations wait (for another process's migration, for tables in use). */
  say?: (msg: string) => void;
  /** Stops those waits (Ctrl-C, SIGTERM): its reason is thrown as it is. */
  signal?: AbortSignal;
  /**
   * Started as soon as the server's address is known, before the migrations: a batch process cut off from the
   * database while it migrates, or waits for another process's migration, is told so like one cut off later
   * (cli/db-watch.ts). Stopped before the pool is closed or the server stopped, which it would take for a loss.
   * Once it has found the database lost, closing does not wait for the pool: its sessions would never answer.
   */
  watch?: (url: string) => { stop(): Promise<void>; readonly lost: boolean };
}

/** DATABASE_URL when given, else the embedded server; migrations are applied either way. */
export async function openDatabase(opts: ConnectOptions): Promise<Database> {
  const server = opts.databaseUrl ? null : await startEmbedded(opts.home, opts.onServerLog);
  const url = opts.databaseUrl ?? server!.url;
  const db = createDb(url, { max: opts.poolSize ?? 6, applicationName: opts.applicationName, deadClientSeconds: opts.deadClientSeconds });
  const watch = opts.watch?.(url) ?? null;
  const closePool = async () => {
    await watch?.stop();
    const closing = db.close();
    // Stryker disable next-line ConditionalExpression: awaiting a pool whose server is gone only makes the exit wait for the watch's hard stop
    if (watch?.lost) closing.catch(() => undefined);
    else await closing;
  };
  let migrated: string[];
  try {
    migrated = await migrate(db, new Date(), { say: opts.say, signal: opts.signal });
  } catch (err) {
    await closePool().catch(() => undefined);
    await server?.release().catch(() => undefined);
    // The server answered and the migrations said what is wrong (tables in use, another build's database): neither
    // the URL nor the server is at fault.
    if (err instanceof UserError || opts.signal?.aborted) throw err;
    // The server answered, and has no connection left for this process (max_connections, a role's or the database's
    // CONNECTION LIMIT): neither the URL nor the server's being down, which the words below would have the operator
    // check. Most often the workers of many machines, each with its pool (README, The distributed run, Connections).
    if (sqlState(err) === SQLSTATE.tooManyConnections) {
      throw new UserError(
        `the database server has no connection left for this process (${(err as Error).message}; ${redactUrl(url)}): every ddcn run, worker ` +
          'and portal keeps connections of its own (README, "Connections"); stop idle sessions, run fewer workers per machine ' +
          '(--workers, --concurrency), or raise max_connections on the server (or the role\'s or database\'s CONNECTION LIMIT)',
        { cause: err },
      );
    }
    throw new Error(`cannot prepare the database (${redactUrl(url)}): ${(err as Error).message}. Check DATABASE_URL and that the server is running.`, { cause: err });
  }
  // Once: an interruption may stop the server while the command's own close() is on its way.
  let released: Promise<void> | null = null;
  const release = () => (released ??= server ? server.release() : Promise.resolve());
  return {
    db,
    url,
    embedded: server !== null,
    created: server?.created ?? false,
    migrated,
    where: server ? `the embedded PostgreSQL in ${server.dataDir}` : redactUrl(url),
    async close() {
      await closePool();
      await release();
    },
    async stopServer() {
      await watch?.stop();
      await release();
    },
  };
}

export function redactUrl(url: string): string {
  // The password may be in the user part or, as libpq also reads it, a query parameter (password, sslpassword).
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@').replace(/([?&](?:ssl)?password=)[^&#]*/gi, '$1***');
}
