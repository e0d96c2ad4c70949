import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { UserError, fileErrorWords } from '../errors.js';
import { makeFolders } from '../make-folders.js';
import EmbeddedPostgres from './embedded-postgres.js';
import { postgresUser, reachableHome, reachableNative } from './embedded-root.js';
import { INITDB_FLAGS, initCluster, startServer } from './postgres-process.js';
import { processAlive as alive } from '../process-alive.js';

export interface EmbeddedServer {
  url: string;
  /** The data folder: `$DDCN_HOME/pg`, or where it was placed for the postgres user (src/db/embedded-root.ts). */
  dataDir: string;
  /** True when this process made a new, empty data folder (a wrong DDCN_HOME does this: the CLI says so). */
  created: boolean;
  /** Stops the server if this process started it; a server another ddcn process owns is left running. */
  release(): Promise<void>;
}

const USER = 'postgres';
// Local only: the server listens on 127.0.0.1 and the data directory belongs to this installation.
const PASSWORD = 'ddcn-embedded';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** postmaster.pid: line 1 the server's pid, line 4 its port. Null when there is none, or its process is gone. */
export async function runningServer(dataDir: string): Promise<{ pid: number; port: number } | null> {
  const file = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return null;
  const lines = (await readFile(file, 'utf8')).split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  if (!Number.isFinite(pid) || !Number.isFinite(port) || !alive(pid)) return null;
  return { pid, port };
}

/**
 * The embedded server is ours alone and does batch work: a nightly run rewrites every participant it verifies.
 * PostgreSQL's defaults (128 MB of buffers, a checkpoint every 1 GB of WAL) are sized for a small shared host;
 * with these a 300 k-person run is ~20 % faster (measured with `npm run bench`).
 */
const SERVER_SETTINGS = ['shared_buffers=512MB', 'max_wal_size=4GB', 'checkpoint_timeout=15min'];

const urlFor = (port: number, database = 'postgres') =>
  `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;

/** The native folder (bin/, lib/, share/) of embedded-postgres' platform package, and that package's version. */
async function packageNative(): Promise<{ native: string; version: string }> {
  const mod = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { postgres: string };
  const native = path.dirname(path.dirname(mod.postgres));
  const pkg = JSON.parse(await readFile(path.join(native, '..', 'package.json'), 'utf8')) as { version: string };
  return { native, version: pkg.version };
}

export interface EmbeddedOptions {
  /** As root: ddcn's own folder for what the postgres user must reach (default /var/lib/ddcn). */
  sharedRoot?: string;
  /** The native PostgreSQL folder to run (default: embedded-postgres' platform package). */
  native?: string;
  /** Where to say that the data lives outside DDCN_HOME (default: stderr). */
  notice?: (msg: string) => void;
}

/**
 * Starts (or joins) the embedded PostgreSQL under `home/pg`. Several ddcn processes may share it: the one that
 * started it stops it; an owner that died (killed run) leaves it to the next process, which adopts it.
 */
export async function startEmbedded(
  home: string,
  onLog: (msg: string) => void = () => undefined,
  options: EmbeddedOptions = {},
): Promise<EmbeddedServer> {
  // One folder at a time (makeFolders): Node's recursive mkdir spins for ever at full CPU under /proc, and says ENOENT
  // on a read-only disk. The message names the setting, which is what the operator changes.
  await makeFolders(home).catch((err: unknown) => {
    throw new UserError(`cannot make DDCN_HOME's folder ${home}: ${fileErrorWords(err)}; set DDCN_HOME to a folder ddcn may write (or DATABASE_URL to a server)`, { cause: err });
  });
  // As root the server runs as `postgres` (PostgreSQL refuses root), from folders that user can reach.
  const user = process.getuid?.() === 0 ? await postgresUser() : null;
  const serverHome = user ? await reachableHome(path.resolve(home), user, options.sharedRoot) : { dir: path.resolve(home) };
  if (serverHome.moved) (options.notice ?? ((m: string) => process.stderr.write(`ddcn: ${m}\n`)))(serverHome.moved);
  const dataDir = path.join(serverHome.dir, 'pg');
  const ownerFile = path.join(serverHome.dir, 'pg.owner');

  const running = await runningServer(dataDir);
  if (running) {
    const owner = Number.parseInt(existsSync(ownerFile) ? await readFile(ownerFile, 'utf8') : '', 10);
    const adopt = !Number.isFinite(owner) || !alive(owner);
    if (adopt) await writeFile(ownerFile, String(process.pid));
    return {
      url: urlFor(running.port),
      dataDir,
      created: false,
      async release() {
        if (!adopt) return;
        process.kill(running.pid, 'SIGINT'); // "fast" shutdown, as pg_ctl -m fast does
        await rm(ownerFile, { force: true });
      },
    };
  }

  const port = await freePort();
  if (user) {
    const pkg = await packageNative();
    const native = await reachableNative(options.native ?? pkg.native, pkg.version, user, options.sharedRoot);
    const spec = { native, dataDir, user, superuser: USER, password: PASSWORD, onLog };
    const created = !existsSync(path.join(dataDir, 'PG_VERSION'));
    if (created) await initCluster(spec);
    const proc = await startServer(spec, port, SERVER_SETTINGS.flatMap((setting) => ['-c', setting]));
    await writeFile(ownerFile, String(process.pid));
    return {
      url: urlFor(port),
      dataDir,
      created,
      async release() {
        await proc.stop();
        await rm(ownerFile, { force: true });
      },
    };
  }
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    initdbFlags: INITDB_FLAGS,
    postgresFlags: SERVER_SETTINGS.flatMap((setting) => ['-c', setting]),
    onLog,
    onError: (e) => onLog(String(e)),
  });
  const created = !existsSync(path.join(dataDir, 'PG_VERSION'));
  if (created) await server.initialise();
  await server.start();
  await writeFile(ownerFile, String(process.pid));
  return {
    url: urlFor(port),
    dataDir,
    created,
    async release() {
      // After Ctrl-C in a terminal the server got the signal too and may have exited already; stop() would then
      // wait forever for an 'exit' event that has come and gone.
      const child = (server as unknown as { process?: ChildProcess }).process;
      if (child && child.exitCode === null && child.signalCode === null) await server.stop();
      await rm(ownerFile, { force: true });
    },
  };
}
