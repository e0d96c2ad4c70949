// What a person at a terminal sees, against what a script or cron reads. A terminal is a real pseudo-terminal:
// the command runs under `script`, which gives it one for stdout and stderr (both arrive in script's output).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ddcn, ROOT, type Ran } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { deps, mockRegistry, runDeps, writeParticipants, writeRegistry } from '../helpers/pipeline.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI with a terminal for stdout and stderr; `output` is everything it showed, with \n line ends. */
function onTerminal(args: string[], env: Record<string, string>): Promise<Ran & { output: string }> {
  const cmd = [process.execPath, BIN, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = execFile(
      'script',
      ['-qec', cmd, '/dev/null'],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(err);
        else resolve({ code: child.exitCode ?? 0, stdout, stderr, output: stdout.replace(/\r\n/g, '\n') });
      },
    );
  });
}

let t: TestDatabase;
let dir: string;
let env: Record<string, string>;
let participants: string;
const ran: Record<string, Ran & { output?: string }> = {};
const unit = { ma_don_vi: 'TA0001A', ten_don_vi: 'Công ty A', ma_tinh: '01', ma_huyen: '001' };

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-tty-'));
  // DDCN_LOG_LEVEL empty: ddcn's own default, as for an operator who set nothing.
  env = { DATABASE_URL: t.url, DDCN_HOME: path.join(dir, 'home'), DDCN_LOG_LEVEL: '' };
  participants = await writeParticipants(dir, [
    {
      ma_so_bhxh: '0100000001',
      ho_ten: 'Nguyễn Thị Thuỷ',
      ngay_sinh: '05/03/1990',
      gioi_tinh: 'Nữ',
      so_giay_to: '012345678',
      ...unit,
    },
  ]);
  const registry = await writeRegistry(dir, [
    {
      so_ddcn: '001190000001',
      so_cmnd: '012345678',
      ho_ten: 'Nguyễn Thị Thuỷ',
      ngay_sinh: '05/03/1990',
      gioi_tinh: 'Nữ',
    },
  ]);
  // The data each check reads, set up in this process: the CLI is what is under test, not the import and run.
  await importParticipants(deps(t.db), participants);
  await runBatch(runDeps(t.db, await mockRegistry(registry)), { province: null });
  // Independent of each other: three at a time, which is quicker than one by one, and does not starve a busy
  // two-core machine so much that a CLI start runs into the helpers' 60 s timeout (eight at once did).
  const jobs: Array<[string, () => Promise<Ran>]> = [
    ['table', () => onTerminal(['lookup', '012 345 678'], env)],
    ['tabs', () => ddcn(['lookup', '001190000001'], env)],
    ['jsonPiped', () => ddcn(['lookup', '012345678', '--json'], env)],
    ['jsonShown', () => onTerminal(['lookup', '012345678', '--json'], env)],
  ];
  for (let i = 0; i < jobs.length; i += 3) {
    await Promise.all(jobs.slice(i, i + 3).map(async ([name, job]) => void (ran[name] = await job())));
  }
  // The imports one after the other: imports of one database take turns, and one that waits says so in a warning,
  // which a terminal shows (the check below is that it shows nothing else).
  const imports: Array<[string, () => Promise<Ran>]> = [
    ['quiet', () => onTerminal(['import', 'participants', participants], env)],
    ['byFlag', () => onTerminal(['--log-level', 'info', 'import', 'participants', participants], env)],
    ['byEnv', () => onTerminal(['import', 'participants', participants], { ...env, DDCN_LOG_LEVEL: 'info' })],
    ['cron', () => ddcn(['import', 'participants', participants], env)],
  ];
  for (const [name, job] of imports) ran[name] = await job();
}, 480_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t?.drop();
});

describe('ddcn lookup', () => {
  it('on a terminal prints a table with Vietnamese headings', () => {
    const r = ran.table!;
    expect(r.code).toBe(0);
    const lines = r.output!.trimEnd().split('\n');
    expect(lines[0]).toBe('Mã số BHXH  Họ tên           Số ĐDCN       Số cũ');
    expect(lines[1]).toMatch(/^─{10} {2}─{15} {2}─{12} {2}─{9}$/);
    expect(lines[2]).toBe('0100000001  Nguyễn Thị Thuỷ  001190000001  012345678');
    expect(r.output).not.toContain('\t');
  });

  it('into a pipe keeps the tab-separated lines scripts read', () => {
    const r = ran.tabs!;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('0100000001\tNguyễn Thị Thuỷ\t001190000001\t012345678\n');
  });

  it('--json is the same array on a terminal and in a pipe', () => {
    const [piped, shown] = [ran.jsonPiped!, ran.jsonShown!];
    const expected = [
      { ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Thị Thuỷ', so_ddcn: '001190000001', former_numbers: ['012345678'] },
    ];
    expect(JSON.parse(piped.stdout)).toEqual(expected);
    expect(JSON.parse(shown.output!)).toEqual(expected);
  });
});

describe('logs on stderr', () => {
  const infoLines = (text: string) => text.split('\n').filter((l) => l.startsWith('{') && JSON.parse(l).level === 30);

  it('on a terminal show warnings only: no info JSON among the human lines', () => {
    const r = ran.quiet!;
    expect(r.code).toBe(0);
    expect(r.output).toContain('unchanged'); // the human summary is there
    expect(r.output).not.toContain('"level":');
  });

  it('on a terminal, a level asked for is given as JSON (--log-level or DDCN_LOG_LEVEL)', () => {
    for (const r of [ran.byFlag!, ran.byEnv!]) {
      expect(r.code).toBe(0);
      expect(infoLines(r.output!).map((l) => JSON.parse(l).msg)).toContain('import finished');
    }
  });

  it('under cron or a pipe are JSON at the configured level (info)', () => {
    const r = ran.cron!;
    expect(r.code).toBe(0);
    expect(infoLines(r.stderr).map((l) => JSON.parse(l).msg)).toContain('import finished');
  });
});
