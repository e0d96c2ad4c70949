// `npm run demo` loads sample people and portal accounts with printed passwords: it must not follow a DATABASE_URL
// an operator's shell happens to hold, and `--fresh` must remove nothing but a demo's own home.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type Ran } from '../helpers/cli.js';

const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

function demo(args: string[], env: Record<string, string | undefined>): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = execFile(TSX, ['scripts/demo.ts', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: undefined, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
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

  it('--fresh removes only a home the demo made, and not while its database is in use', async () => {
    // A DDCN_HOME that is not a demo's (no demo/ folder): left as it is.
    const other = path.join(dir, 'operator-home');
    await mkdir(path.join(other, 'pg'), { recursive: true });
    await writeFile(path.join(other, 'pg', 'PG_VERSION'), '15\n');
    const notDemo = await demo(['--fresh'], { DDCN_HOME: other });
    expect(notDemo.code).toBe(2);
    expect(notDemo.stderr).toContain(`--fresh removes only a home the demo made, and ${other} holds no demo/ folder: nothing removed`);
    expect(await readdir(path.join(other, 'pg'))).toEqual(['PG_VERSION']);

    // A demo's home whose database a server has open (postmaster.pid): left as it is.
    const busy = path.join(dir, 'demo-home');
    await mkdir(path.join(busy, 'demo'), { recursive: true });
    await mkdir(path.join(busy, 'pg'), { recursive: true });
    await writeFile(path.join(busy, 'pg', 'postmaster.pid'), '12345\n');
    const inUse = await demo(['--fresh'], { DDCN_HOME: busy });
    expect(inUse.code).toBe(2);
    expect(inUse.stderr).toContain('is in use, by `ddcn serve` perhaps: stop it first');
    expect(existsSync(path.join(busy, 'pg', 'postmaster.pid'))).toBe(true);
    expect(existsSync(path.join(busy, 'demo'))).toBe(true);
  });
});
