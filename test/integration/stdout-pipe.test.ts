// What a command writes to stdout reaches a slow reader whole (`ddcn export results --out - | gzip`), and a reader
// that goes away (`| head`) ends the command quietly, as it ends a Unix tool, never as a failure.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { deps, writeParticipants, type ParticipantInput } from '../helpers/pipeline.js';

const PEOPLE = 30_000;
let t: TestDatabase;
let dir: string;
let participants: string;

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-stdout-'));
  const people: ParticipantInput[] = Array.from({ length: PEOPLE }, (_, i) => ({
    ma_so_bhxh: String(100_000_000 + i).padStart(10, '0'), ho_ten: `Người Số ${i}`, ngay_sinh: '01/01/1990', gioi_tinh: 'Nam',
    so_giay_to: '', ma_don_vi: 'TA0001A', ten_don_vi: 'Công ty A', ma_tinh: '01', ma_huyen: '001',
  }));
  participants = await writeParticipants(dir, people);
  await importParticipants(deps(t.db), participants);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t?.drop();
});

/** A shell pipeline of the real CLI into `reader`: the lines the reader saw, and ddcn's exit code and stderr. */
function piped(reader: string, env: Record<string, string | undefined> = { DATABASE_URL: t.url }): Promise<{ lines: number; code: number; stderr: string }> {
  const script = `node "${BIN}" export results --out - 2>"${dir}/err" | ${reader} | wc -l; echo "\${PIPESTATUS[0]}"; cat "${dir}/err"`;
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', script], { cwd: ROOT, env: { ...process.env, DDCN_LOG_LEVEL: 'warn', ...env }, timeout: 120_000 }, (err, stdout) => {
      if (err) return reject(err);
      const [lines, code, ...stderr] = stdout.split('\n');
      resolve({ lines: Number(lines!.trim()), code: Number(code), stderr: stderr.join('\n') });
    });
  });
}

describe('stdout into a pipe', () => {
  it('reaches a reader slower than the export whole, every time (the end was lost to process.exit 2 times in 3)', async () => {
    for (let i = 0; i < 3; i++) {
      const slow = await piped('(sleep 0.5; dd bs=512 2>/dev/null)');
      expect(slow.code, slow.stderr).toBe(0);
      expect(slow.lines).toBe(PEOPLE + 1);
      expect(slow.stderr).toContain(`exported ${PEOPLE} results to stdout`);
    }
  }, 120_000);

  it('ends quietly with 141 when the reader goes (`| head`): no "failed", no summary of rows it did not write', async () => {
    const head = await piped('head -3');
    expect(head.lines).toBe(3);
    expect(head.code).toBe(141);
    expect(head.stderr).toBe('');
  }, 60_000);

  it('says a full disk under stdout and exits 1, for a streamed export and for a last write alike; stderr into the gone pipe too ends 141', async () => {
    const run = (script: string) =>
      new Promise<string>((resolve, reject) => {
        execFile('bash', ['-c', script], { cwd: ROOT, env: { ...process.env, DATABASE_URL: t.url, DDCN_LOG_LEVEL: 'warn' }, timeout: 60_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
      });
    const tsx = `node "${BIN}"`;
    for (const command of ['export results --out -', 'lookup 100000001 --json']) {
      const said = await run(`${tsx} ${command} 2>&1 >/dev/full; echo "rc=$?"`);
      expect(said, command).toContain('ddcn: failed: cannot write to standard output: ENOSPC');
      expect(said, command).toContain('rc=1');
    }
    expect(await run(`${tsx} export results --out - 2>&1 | head -c 100 >/dev/null; echo "rc=\${PIPESTATUS[0]}"`)).toBe('rc=141\n');
  }, 60_000);

  it('stops the embedded server all the same when the reader goes: the command ends the ordinary way, then 141', async () => {
    const home = path.join(dir, 'home');
    const env = { DATABASE_URL: undefined, DDCN_HOME: home };
    const imported = await new Promise<number>((resolve) => {
      execFile(process.execPath, [BIN, 'import', 'participants', participants, '--rejects', path.join(dir, 'r.csv')], { cwd: ROOT, env: { ...process.env, DDCN_LOG_LEVEL: 'warn', ...env } }, (err) => resolve(err ? Number(err.code) : 0));
    });
    expect(imported).toBe(0);
    const head = await piped('head -3', env);
    expect([head.lines, head.code, head.stderr]).toEqual([3, 141, '']);
    // No server of that folder left running: its postmaster.pid is gone once it has stopped.
    expect(existsSync(path.join(home, 'pg', 'postmaster.pid')) || (await serverRunning(home))).toBe(false);
    // Run as root, the data went where pg.location says (outside the test's folder): removed with it.
    const where = (await readFile(path.join(home, 'pg.location'), 'utf8').catch(() => '')).trim();
    if (where) await rm(path.basename(where) === 'pg' ? path.dirname(where) : where, { recursive: true, force: true });
  }, 180_000);
});

/** Whether a postgres process serves a data folder under `home` (the embedded server may keep its data elsewhere). */
async function serverRunning(home: string): Promise<boolean> {
  const where = await readFile(path.join(home, 'pg.location'), 'utf8').catch(() => '');
  return new Promise((resolve) => {
    execFile('ps', ['-eo', 'args'], (_err, stdout) => {
      resolve(stdout.split('\n').some((l) => l.includes('postgres') && l.includes(' -D ') && (l.includes(home) || (where.trim() !== '' && l.includes(where.trim())))));
    });
  });
}
