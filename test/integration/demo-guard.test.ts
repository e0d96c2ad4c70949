// `npm run demo` loads sample people and portal accounts with printed passwords: it must not follow a DATABASE_URL
// an operator's shell happens to hold, and `--fresh` must remove nothing but a demo's own home.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type Ran } from '../helpers/cli.js';

const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

function demo(args: string[], env: Record<string, string | undefined>): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = execFile(TSX, ['scripts/demo.ts', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: undefined, ...env }, timeout: 200_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(err);
      else resolve({ code: child.exitCode ?? (err?.code as number | undefined) ?? 0, stdout, stderr });
    });
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-demo-guard-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm run demo, guarded', () => {
  it('refuses to load the sample into the database DATABASE_URL names, saying how to run it, and does nothing', async () => {
    const home = path.join(dir, 'home-url');
    const r = await demo([], { DATABASE_URL: 'postgres://clerk:s3cret@127.0.0.1:1/livedb', DDCN_HOME: home });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('DATABASE_URL is set');
    expect(r.stderr).toContain('env -u DATABASE_URL npm run demo');
    expect(r.stderr).toContain('npm run demo -- --use-database-url');
    expect(r.stderr).not.toContain('s3cret'); // the URL (its password) is not repeated
    expect(r.stderr).not.toContain('livedb');
    expect(r.stdout).toBe('');
    expect(existsSync(home)).toBe(false);
  });

  it('--use-database-url without DATABASE_URL, and an unknown flag, are usage errors', async () => {
    const [noUrl, unknown] = await Promise.all([
      demo(['--use-database-url'], { DDCN_HOME: path.join(dir, 'home-none') }),
      demo(['--frseh'], { DDCN_HOME: path.join(dir, 'home-none') }),
    ]);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('--use-database-url given, but DATABASE_URL is not set');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('the demo takes --fresh (start over) and --use-database-url');
    expect(existsSync(path.join(dir, 'home-none'))).toBe(false);
  });

  it('--fresh removes nothing of a database the demo did not make, nor one a live server has open', async () => {
    // A DDCN_HOME whose database was there before the demo ran in it (no marker): left as it is.
    const other = path.join(dir, 'operator-home');
    await mkdir(path.join(other, 'pg'), { recursive: true });
    await mkdir(path.join(other, 'demo'), { recursive: true });
    await writeFile(path.join(other, 'pg', 'PG_VERSION'), '15\n');
    const notDemo = await demo(['--fresh'], { DDCN_HOME: other });
    expect(notDemo.code).toBe(2);
    expect(notDemo.stderr).toContain(`--fresh removes only a database the demo created, and the one of DDCN_HOME=${other} was there before the demo ran`);
    expect(await readdir(path.join(other, 'pg'))).toEqual(['PG_VERSION']);

    // The demo's own database, which a server (this test's process, alive) has open: left as it is.
    const busy = path.join(dir, 'demo-home');
    await mkdir(path.join(busy, 'demo'), { recursive: true });
    await mkdir(path.join(busy, 'pg'), { recursive: true });
    await writeFile(path.join(busy, 'demo', '.database-made-by-demo'), 'made\n');
    await writeFile(path.join(busy, 'pg', 'postmaster.pid'), `${process.pid}\n${path.join(busy, 'pg')}\n0\n54321\n`);
    const inUse = await demo(['--fresh'], { DDCN_HOME: busy });
    expect(inUse.code).toBe(2);
    expect(inUse.stderr).toContain('is in use, by `ddcn serve` perhaps: stop it first');
    expect(existsSync(path.join(busy, 'pg', 'postmaster.pid'))).toBe(true);
    expect(existsSync(path.join(busy, 'demo'))).toBe(true);
  });

  it('--fresh on a home the demo made: its database and files go, anything else of the home stays, and the demo runs anew', async () => {
    // A folder the embedded server's user can enter, so that the data lives in DDCN_HOME/pg (not /var/lib/ddcn).
    await chmod(dir, 0o755);
    const home = path.join(dir, 'own-home');
    await mkdir(home);
    const first = await demo([], { DDCN_HOME: home });
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(path.join(home, 'demo', '.database-made-by-demo'))).toBe(true);
    // Something of the operator's beside it, and a stale pid file of a server that died (kill -9, a reboot).
    await writeFile(path.join(home, 'notes.txt'), 'mine\n');
    await writeFile(path.join(home, 'demo', 'old.txt'), 'old\n');
    await writeFile(path.join(home, 'pg', 'postmaster.pid'), `999999\n${path.join(home, 'pg')}\n0\n54321\n`);
    const again = await demo(['--fresh'], { DDCN_HOME: home });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`demo: started over: removed ${path.join(home, 'demo')}, ${path.join(home, 'pg')}`);
    expect(again.stderr).toContain('created a new, empty database');
    expect(again.stdout).toMatch(/MATCHED\s+291/);
    expect(existsSync(path.join(home, 'notes.txt'))).toBe(true);
    expect(existsSync(path.join(home, 'demo', 'old.txt'))).toBe(false);
  }, 240_000);
});
