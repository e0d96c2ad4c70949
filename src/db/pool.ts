import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { Readable, Writable } from 'node:stream';

/** The database seam every stage sees: plain queries plus COPY, and transactions of the same shape. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** COPY … FROM STDIN: returns a writable stream; await `finished(stream)` after ending it. */
  copyIn(sql: string): Writable;
  /** COPY … TO STDOUT: returns a readable stream of the server's output. */
  copyOut(sql: string): Readable;
}

/** How a transaction begins, said in its BEGIN: one round trip instead of a SET after it. */
export interface TransactionOptions {
  /** REPEATABLE READ, READ ONLY: every statement sees the same moment. */
  snapshot?: boolean;
  /** SET LOCAL work_mem, e.g. '64MB' (a constant of ours, never user input). */
  workMem?: string;
}

export interface Db extends Queryable {
  /** Runs fn in one transaction on one connection; commits when fn resolves, rolls back when it throws. */
  withTransaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Runs fn on one dedicated connection (session state such as temp tables and advisory locks). */
  withSession<T>(fn: (session: Session) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface Session extends Queryable {
  withTransaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

// numeric types come back as strings by default; counts fit in a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));

function queryableOf(client: pg.PoolClient | pg.Pool): Queryable {
  return {
    query: (text, values) => client.query(text, values as unknown[]),
    copyIn(sql) {
      if (!('release' in client)) throw new Error('copyIn needs a session or transaction');
      return client.query(copyFrom(sql));
    },
    copyOut(sql) {
      if (!('release' in client)) throw new Error('copyOut needs a session or transaction');
      return client.query(copyTo(sql));
    },
  };
}

function beginSql(options: TransactionOptions): string {
  let sql = options.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY' : 'BEGIN';
  if (options.workMem !== undefined) {
    if (!/^\d+[kMG]B$/.test(options.workMem)) throw new Error(`work_mem ${options.workMem}: expected a size such as 64MB`);
    sql += `; SET LOCAL work_mem = '${options.workMem}'`;
  }
  return sql;
}

async function inTransaction<T>(client: pg.PoolClient, fn: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  // The portal's pages pay for every round trip (a dashboard was seven): the options ride on the BEGIN.
  await client.query(beginSql(options));
  try {
    const result = await fn(queryableOf(client));
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * The URL without its `application_name`: node-pg lets the URL's win over the one given, and `ddcn run` and
 * `ddcn worker` are told apart by theirs (`ddcn batch status`, joining a batch: db/jobs.ts). Unchanged if unparsable.
 */
function withoutApplicationName(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (!url.searchParams.has('application_name')) return connectionString;
    url.searchParams.delete('application_name');
    return url.toString();
  } catch {
    return connectionString;
  }
}

/** The URL without its `options` parameter, and that parameter (node-pg lets the URL's win over the one given). */
function withoutOptions(connectionString: string): { url: string; options: string | null } {
  try {
    const url = new URL(connectionString);
    const options = url.searchParams.get('options');
    if (options === null) return { url: connectionString, options: null };
    url.searchParams.delete('options');
    return { url: url.toString(), options };
  } catch {
    return { url: connectionString, options: null };
  }
}

export interface ConnectionOptions {
  /** How the connections show in pg_stat_activity (default `ddcn`). */
  applicationName?: string;
  /**
   * For the processes of a batch (`ddcn run`, `ddcn worker`), which may be cut off from the server without a word: the
   * server ends a session whose process is gone, by TCP keepalives (`seconds` idle, then three probes a third of that
   * apart: about twice `seconds`), and any session left idle inside a transaction for 2 × `seconds` — so that the
   * locks a cut-off worker held go with it, and the worker that takes its chunk over is not kept waiting on them. (No
   * `tcp_user_timeout`: it also ends the session of a live process that reads slowly, as the share step's COPY does
   * while the registry answers; a session cut off while the server sends it rows is so ended only by the kernel's
   * retransmission timeout, some 15 minutes, holding no lock a chunk step waits on.) The transactions of a run and a
   * worker hold no wait of any other kind inside them.
   * Options given in the URL or `PGOPTIONS` are kept.
   */
  deadClientSeconds?: number;
}

/** The connection settings of a pool, or of a single connection beside it (the database watch). */
export function connectionConfig(connectionString: string, options: ConnectionOptions = {}): pg.ClientConfig {
  let url = options.applicationName ? withoutApplicationName(connectionString) : connectionString;
  const config: pg.ClientConfig = { application_name: options.applicationName ?? 'ddcn' };
  if (options.deadClientSeconds) {
    const s = Math.max(1, Math.round(options.deadClientSeconds));
    const given = withoutOptions(url);
    url = given.url;
    const ours = `-c tcp_keepalives_idle=${s} -c tcp_keepalives_interval=${Math.max(1, Math.round(s / 3))} -c tcp_keepalives_count=3`;
    config.options = `${given.options ?? process.env.PGOPTIONS ?? ''} ${ours}`.trim();
    config.idle_in_transaction_session_timeout = 2 * s * 1000;
    config.keepAlive = true;
    config.keepAliveInitialDelayMillis = s * 1000;
  }
  return { ...config, connectionString: url };
}

export function createDb(connectionString: string, options: { max?: number } & ConnectionOptions = {}): Db {
  const pool = new pg.Pool({ ...connectionConfig(connectionString, options), max: options.max ?? 4 });
  // A client that loses its server (Ctrl-C stops the embedded one too: 57P01) must not crash the process with an
  // unhandled 'error' event, idle in the pool or checked out between queries; the next query reports it.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const base = queryableOf(pool);
  return {
    query: base.query,
    copyIn: () => {
      throw new Error('copyIn needs a session: use db.withSession');
    },
    copyOut: () => {
      throw new Error('copyOut needs a session: use db.withSession');
    },
    async withTransaction(fn, options) {
      const client = await pool.connect();
      try {
        return await inTransaction(client, fn, options);
      } finally {
        client.release();
      }
    },
    async withSession(fn) {
      const client = await pool.connect();
      let broken = false;
      try {
        const q = queryableOf(client);
        return await fn({ ...q, withTransaction: (f, o) => inTransaction(client, f, o) });
      } catch (err) {
        broken = true;
        throw err;
      } finally {
        // A session that failed may hold temp tables or locks: do not hand it to anyone else.
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
