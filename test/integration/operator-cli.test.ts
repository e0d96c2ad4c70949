// What an operator meets when something is set up wrong: a new, empty database (cron without DDCN_HOME), a
// mistyped code, a missing output folder, no registry named. Each must fail loudly, saying what to do.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import pg from 'pg';
import { withDatabase } from '../helpers/global-setup.js';
import { ROOT, ddcn as run } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { writeParticipants, writeRegistry, type ParticipantInput } from '../helpers/pipeline.js';

const unit = (ma_don_vi: string, ma_tinh: string, ma_huyen: string) => ({ ma_don_vi, ten_don_vi: `Công ty ${ma_don_vi}`, ma_tinh, ma_huyen });
const PEOPLE: ParticipantInput[] = [
  { ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam', so_giay_to: '012345678', ...unit('TA0001A', '01', '001') },
  { ma_so_bhxh: '0100000002', ho_ten: 'Trần Thị Thủy', ngay_sinh: '25/12/1985', gioi_tinh: 'Nữ', so_giay_to: '079185000002', ...unit('TA0002B', '01', '002') },
  { ma_so_bhxh: '0100000003', ho_ten: 'Lê Văn Hưng', ngay_sinh: '14/07/1981', gioi_tinh: 'Nam', so_giay_to: '023456780', ...unit('TB0001A', '79', '760') },
];

// Each test starts real ddcn processes; on a machine shared with other work one can take half a minute.
const SLOW = 240_000;
const ddcn = (args: string[], env: Record<string, string>) => run(args, env, SLOW - 10_000);

let dir: string;
let filled: TestDatabase;
let empty: TestDatabase;
let env: Record<string, string>;
let registry: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-operator-'));
  [filled, empty] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  env = { DATABASE_URL: filled.url, DDCN_HOME: path.join(dir, 'home') };
  registry = await writeRegistry(dir, [{ so_ddcn: '001090000001', so_cmnd: '012345678', ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam' }]);
  const imported = await ddcn(['import', 'participants', await writeParticipants(dir, PEOPLE)], env);
  expect(imported.code, imported.stderr).toBe(0);
}, SLOW);

afterAll(async () => {
  await Promise.all([filled?.drop(), empty?.drop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a database without participants', () => {
  it('makes run, lists, report progress, export results and lookup exit 1, naming the database and how to point at the right one', async () => {
    const at = { DATABASE_URL: empty.url, DDCN_HOME: path.join(dir, 'home') };
    const ran = await Promise.all([
      ddcn(['run', '--registry', 'mock', '--registry-data', registry], at),
      ddcn(['lists', '--out', path.join(dir, 'lists-empty')], at),
      ddcn(['report', 'progress', '--out', path.join(dir, 'empty.xlsx')], at),
      ddcn(['export', 'results', '--out', '-'], at),
      ddcn(['lookup', '012345678'], at),
    ]);
    for (const r of ran) {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`no participants in ${empty.url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}`);
      expect(r.stderr).toMatch(/DDCN_HOME=.*DATABASE_URL=/);
      expect(r.stderr).toContain('ddcn import participants FILE');
    }
    expect(existsSync(path.join(dir, 'empty.xlsx'))).toBe(false);
  }, SLOW);

  it('makes import corrections exit 1 too, rather than refuse every row as "no such participant" for the unit to fix', async () => {
    const at = { DATABASE_URL: empty.url, DDCN_HOME: path.join(dir, 'home') };
    const returned = path.join(dir, 'returned-mau02.xlsx');
    await writeFile(returned, 'never read');
    const r = await ddcn(['import', 'corrections', returned], at);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`no participants in ${empty.url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}`);
    expect(r.stderr).toContain('ddcn import participants FILE');
    expect(existsSync(`${returned}.rejects.csv`)).toBe(false);
  }, SLOW);

  it('says on stderr when a command creates a new embedded database, and where', async () => {
    // DDCN_HOME directly under the temp folder: as root the server runs as "postgres", which must reach it.
    const home = await mkdtemp(path.join(os.tmpdir(), 'ddcn-new-home-'));
    onTestFinished(() => rm(home, { recursive: true, force: true }));
    const first = await ddcn(['lists', '--out', path.join(dir, 'lists-new')], { DATABASE_URL: '', DDCN_HOME: home });
    expect(first.code, first.stderr).toBe(1);
    // As root the data may live outside DDCN_HOME (src/db/embedded.ts says where); the messages name that place.
    const where = /created a new, empty database: the embedded PostgreSQL in (\S+\/pg) \(/.exec(first.stderr)?.[1];
    expect(where, first.stderr).toBeDefined();
    expect(first.stderr).toContain(`no participants in the embedded PostgreSQL in ${where} (created just now)`);
    const again = await ddcn(['report', 'progress', '--out', path.join(dir, 'new.xlsx')], { DATABASE_URL: '', DDCN_HOME: home });
    expect(again.code).toBe(1);
    expect(again.stderr).not.toContain('created a new');
    expect(again.stderr).toContain(`no participants in the embedded PostgreSQL in ${where}.`);
  }, SLOW);

  it('says a DDCN_HOME that cannot be made, and names the setting, rather than hang or print a bare system error', async () => {
    // /proc answers ENOENT to every mkdir: Node's recursive mkdir spun there at full CPU for ever.
    for (const [home, why] of [
      ['/proc/ddcn-home', 'no such file (check the path) [ENOENT]'],
      [path.join(dir, 'a-file', 'home'), 'a part of the path is not a folder [ENOTDIR]'],
    ] as const) {
      await writeFile(path.join(dir, 'a-file'), '');
      const r = await ddcn(['lookup', '012345678'], { DATABASE_URL: '', DDCN_HOME: home });
      expect([r.code, r.stderr.trim()]).toEqual([1, `ddcn: cannot make DDCN_HOME's folder ${home}: ${why}; set DDCN_HOME to a folder ddcn may write (or DATABASE_URL to a server)`]);
    }
  }, SLOW);
});

// Runs the batch the tests below read (lists of verified people).
describe('ddcn worker --batch-size', () => {
  it('is not offered by the worker’s help, and said to be ignored when given: the batch keeps its run’s request size', async () => {
    const help = await ddcn(['worker', '--help'], env);
    expect(help.stdout).not.toContain('--batch-size');
    // What an operator quotes when reporting a problem.
    const version = await ddcn(['--version'], env);
    const newest = (await readdir(path.join(ROOT, 'migrations'))).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort().at(-1)!.replace(/\.sql$/, '');
    expect([version.code, version.stdout]).toEqual([0, `${JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')).version} (newest migration ${newest})\n`]);
    const runHelp = (await ddcn(['run', '--help'], env)).stdout;
    expect(runHelp).toContain('--batch-size');
    // --workers said so that it does not read as a contradiction ("at least 2, except …" beside "default: 1").
    const workers = runHelp.split(/\n(?= {2}-)/).find((o) => o.trimStart().startsWith('--workers'))!.replace(/\s+/g, ' ');
    expect(workers).toContain('chunks this process works on at once: N for verifying and sharing over HTTP; N or 2, whichever is more, for the steps the database does');
    expect(workers).not.toContain('at least 2');
    // Nothing listens on that port: the worker stops at once, having said it.
    const given = await ddcn(['worker', '--registry', 'mock', '--registry-data', registry, '--batch-size', '7'], { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    expect(given.code).toBe(1);
    expect(given.stderr).toContain('ddcn worker: --batch-size is ignored: a worker sends requests of the size its batch was started with (ddcn run --batch-size)');
  }, SLOW);
});

describe('the registry is an explicit choice', () => {
  it('ddcn run without --registry or DDCN_REGISTRY is a usage error listing the choices', async () => {
    const r = await ddcn(['run'], { ...env, DDCN_REGISTRY: ' ' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('choose the registry: --registry http');
    expect(r.stderr).toContain('--registry file');
    expect(r.stderr).toContain('--registry mock --registry-data FILE');
    expect(r.stderr).toContain('DDCN_REGISTRY');
  }, SLOW);

  it('DDCN_REGISTRY chooses it too, and a wrong value lists the choices', async () => {
    const wrong = await ddcn(['run'], { ...env, DDCN_REGISTRY: 'mok' });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('DDCN_REGISTRY: unknown registry "mok"; use --registry http, file or mock');
    const r = await ddcn(['run', '--registry-data', registry], { ...env, DDCN_REGISTRY: 'mock' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('3 read');
  }, SLOW);
});

describe('codes that do not exist', () => {
  it('lists --unit NOPE exits 1 with the nearest codes', async () => {
    const r = await ddcn(['lists', '--out', path.join(dir, 'lists-nope'), '--unit', 'TA0001'], env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/no unit TA0001 in .*; nearest codes: TA0001A, TA0002B/);
    const nope = await ddcn(['lists', '--out', path.join(dir, 'lists-nope'), '--unit', 'NOPE'], env);
    expect(nope.code).toBe(1);
    expect(nope.stderr).toContain('no unit NOPE in');
    expect(nope.stderr).toContain('Check --unit');
  }, SLOW);

  it('lists --province 999 and report progress --province 999 exit 1', async () => {
    const [lists, report] = await Promise.all([
      ddcn(['lists', '--out', path.join(dir, 'lists-999'), '--province', '999'], env),
      ddcn(['report', 'progress', '--out', path.join(dir, 'r999.xlsx'), '--province', '79 '], env),
    ]);
    expect(lists.code).toBe(1);
    // Nothing near 999, and only two provinces on file: both are named.
    expect(lists.stderr).toMatch(/no province 999 in .*; the province codes on file: 01, 79\. Check --province/);
    expect(report.code).toBe(1);
    expect(report.stderr).toMatch(/no province 79 {2}in .*; nearest codes: 79\b/);
  }, SLOW);

  it('takes a province in its other form, as the data writes it (001 for 01, 079 for 79)', async () => {
    const [lists, report] = await Promise.all([
      ddcn(['lists', '--out', path.join(dir, 'lists-001'), '--province', '001'], env),
      ddcn(['report', 'progress', '--out', path.join(dir, 'r079.xlsx'), '--province', '079'], env),
    ]);
    expect(lists.code, lists.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'lists-001', '01', 'TA0001A', 'mau01.xlsx'))).toBe(true);
    expect(existsSync(path.join(dir, 'lists-001', '79'))).toBe(false);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stderr).toMatch(/: 1 district, /);
    const none = await ddcn(['report', 'progress', '--out', path.join(dir, 'r002.xlsx'), '--province', '002'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no province 002 in .*Check --province/);
    // A run for a province nobody belongs to says so, rather than verifying nobody and exiting 0.
    const run = await ddcn(['run', '--registry-data', registry, '--province', '02'], { ...env, DDCN_REGISTRY: 'mock' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no province 02 in .*; nearest codes: 01\b.*Check --province/);
  }, SLOW);

  it('a known unit and province still work', async () => {
    const r = await ddcn(['lists', '--out', path.join(dir, 'lists-ok'), '--province', '01', '--unit', 'TA0001A'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'lists-ok', '01', 'TA0001A', 'mau01.xlsx'))).toBe(true);
    // Each exists, but the unit has nobody in that province: exit 1, not "wrote 0 files".
    const apart = await ddcn(['lists', '--out', path.join(dir, 'lists-apart'), '--province', '79', '--unit', 'TA0001A'], env);
    expect(apart.code).toBe(1);
    expect(apart.stderr).toMatch(/unit TA0001A has nobody in province 79; give --unit alone, or the unit's own --province/);
    expect(existsSync(path.join(dir, 'lists-apart'))).toBe(false);
  }, SLOW);
});

describe('an import that takes nothing from its file', () => {
  it('exits 1 for a file in another encoding, a file of only a header, or one whose every row is rejected, saying what to do', async () => {
    const before = await filled.db.query('SELECT ma_so_bhxh, ho_ten, src_hash FROM participant ORDER BY 1');
    const header = 'ma_so_bhxh,ho_ten,ngay_sinh,gioi_tinh,so_giay_to\n';
    // Saved as "CSV" from a Vietnamese Excel: Windows-1258, whose Vietnamese letters are not UTF-8.
    const ansi = path.join(dir, 'ansi.csv');
    await writeFile(ansi, Buffer.concat([Buffer.from(header), Buffer.from('0100000001,Nguy\xd2n V\xe3n H\xf9ng,05/03/1990,Nam,012345678\n0100000002,Tr\xc7n Th\xd2 Th\xf9y,25/12/1985,N\xf5,079185000002\n', 'latin1')]));
    const encoding = await ddcn(['import', 'participants', ansi], env);
    expect(encoding.code, encoding.stderr).toBe(1);
    expect(encoding.stderr).toContain(`ddcn: ${ansi} is not UTF-8: 2 of its first 2 rows have bytes of another encoding`);
    expect(encoding.stderr).toContain('save it as "CSV UTF-8 (comma delimited)" and import again');
    const headerOnly = path.join(dir, 'header-only.csv');
    await writeFile(headerOnly, header);
    const none = await ddcn(['import', 'participants', headerOnly], env);
    expect(none.code, none.stderr).toBe(1);
    expect(none.stderr).toContain(`ddcn: ${headerOnly} has a header and no data rows: nothing was imported; check the export`);
    // Only the failure: no `imported FILE in … s: 0 rows read …` line before it, which reads as a success.
    expect(none.stderr).not.toMatch(/^imported /m);
    const wrong = path.join(dir, 'wrong-codes.csv');
    await writeFile(wrong, `${header}1.00E+09,Nguyễn Văn Hùng,05/03/1990,Nam,012345678\n12345,Trần Thị Thủy,25/12/1985,Nữ,\n`);
    const rejected = await ddcn(['import', 'participants', wrong], env);
    expect(rejected.code, rejected.stderr).toBe(1);
    expect(rejected.stderr).not.toMatch(/^imported /m);
    expect(rejected.stderr).toContain(`ddcn: no row of ${wrong} was imported: all 2 were rejected (the reasons are in ${wrong}.rejects.csv)`);
    expect((await filled.db.query('SELECT ma_so_bhxh, ho_ten, src_hash FROM participant ORDER BY 1')).rows).toEqual(before.rows);
    // Targets the same way: a header alone, or no province known.
    const targetsHeader = path.join(dir, 'targets-header.csv');
    await writeFile(targetsHeader, 'ma_tinh,chi_tieu_vssid\n');
    const noTargets = await ddcn(['import', 'targets', targetsHeader], env);
    expect(noTargets.code, noTargets.stderr).toBe(1);
    expect(noTargets.stderr).toContain(`ddcn: ${targetsHeader} has a header and no data rows: no target was imported; check the file`);
    const unknown = path.join(dir, 'targets-unknown.csv');
    await writeFile(unknown, 'ma_tinh,chi_tieu_vssid\n099,10\n');
    const refused = await ddcn(['import', 'targets', unknown], env);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`ddcn: no row of ${unknown} was imported: all 1 were rejected (the reasons are in ${unknown}.rejects.csv)`);
  }, SLOW);
});

describe('report progress --out', () => {
  it('creates the folders of the output file', async () => {
    const out = path.join(dir, 'new', 'folder', 'mau03.xlsx');
    const r = await ddcn(['report', 'progress', '--out', out, '--province', '79'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
  }, SLOW);
});

describe('an output or a port given wrong', () => {
  it('says which, and what to give instead, for report, lists and export; export makes its folders', async () => {
    const folder = path.join(dir, 'old.xlsx');
    await mkdir(folder, { recursive: true });
    const [report, lists, exported] = await Promise.all([
      ddcn(['report', 'progress', '--out', folder], env),
      ddcn(['lists', '--out', path.join(dir, 'participants.csv')], env),
      ddcn(['export', 'results', '--out', path.join(dir, 'exports', 'today', 'results.csv')], env),
    ]);
    expect(report.code).toBe(1);
    expect(report.stderr).toContain(`--out ${folder} is a folder; give a file name, for example ${path.join(folder, 'mau03.xlsx')}`);
    expect(lists.code).toBe(1);
    expect(lists.stderr).toContain(`--out ${path.join(dir, 'participants.csv')} is a file; give a folder for the lists`);
    expect(exported.code, exported.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'exports', 'today', 'results.csv'))).toBe(true);
    expect(exported.stderr).toContain(`exported 3 results to ${path.join(dir, 'exports', 'today', 'results.csv')}`); // one line per participant
    // A folder whose name says nothing of a workbook: said as a folder too (exit 1), not as a wrong file name.
    const plainFolder = await ddcn(['report', 'progress', '--out', dir], env);
    expect(plainFolder.code).toBe(1);
    expect(plainFolder.stderr).toContain(`--out ${dir} is a folder; give a file name, for example ${path.join(dir, 'mau03.xlsx')}`);
    const intoFolder = await ddcn(['export', 'results', '--out', dir], env);
    expect(intoFolder.code).toBe(1);
    expect(intoFolder.stderr).toContain(`--out ${dir} is a folder; give a file name`);
    // A folder that cannot be made or written in (here: a file on the way, or a file system that takes no file):
    // what to check, not the system call's words.
    const file = path.join(dir, 'participants.csv');
    const [reportUnder, listsUnder, exportUnder, reportProc] = await Promise.all([
      ddcn(['report', 'progress', '--out', path.join(file, 'm.xlsx')], env),
      ddcn(['lists', '--out', path.join(file, 'lists')], env),
      ddcn(['export', 'results', '--out', path.join(file, 'sub', 'e.csv')], env),
      ddcn(['report', 'progress', '--out', '/proc/ddcn-mau03.xlsx'], env),
    ]);
    for (const [r, where] of [[reportUnder, file], [listsUnder, path.join(file, 'lists')], [exportUnder, path.join(file, 'sub')], [reportProc, '/proc/ddcn-mau03.xlsx']] as const) {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^ddcn: cannot write ${where.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .* \\[E[A-Z]+\\]$`, 'm'));
      expect(r.stderr).not.toContain('failed:');
    }
    // Mẫu 03 under a name that is not a workbook's, or as of a day still to come: usage errors, nothing written.
    const [csv, future] = await Promise.all([
      ddcn(['report', 'progress', '--out', path.join(dir, 'mau03.csv')], env),
      ddcn(['report', 'progress', '--out', path.join(dir, 'later.xlsx'), '--as-of', '2999-01-01'], env),
    ]);
    expect(csv.code).toBe(2);
    expect(csv.stderr).toContain('--out must name an .xlsx file (Mẫu 03 is a workbook)');
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('--as-of 2999-01-01 is a day still to come (in Vietnam); give today or a past day');
    expect(existsSync(path.join(dir, 'mau03.csv')) || existsSync(path.join(dir, 'later.xlsx'))).toBe(false);
  }, SLOW);

  it('Mẫu 03 as of a day before the first import: exit 1, saying so, rather than a report of zeros', async () => {
    // The import of beforeAll was today: a day of last year is a year mistyped.
    const lastYear = new Date(Date.now() - 400 * 86_400_000).toISOString().slice(0, 10);
    const [y, m, d] = lastYear.split('-');
    const r = await ddcn(['report', 'progress', '--out', path.join(dir, 'last-year.xlsx'), '--as-of', lastYear], env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^ddcn: nobody was on file at the end of ${d}/${m}/${y}: the first import of participants was on \\d{2}/\\d{2}/\\d{4}; check the year of --as-of \\(nothing was written\\)$`, 'm'),
    );
    expect(existsSync(path.join(dir, 'last-year.xlsx'))).toBe(false);
  }, SLOW);

  it('a request size the registry never takes, and a code where a number goes: usage errors that say so', async () => {
    const [tooBig, code] = await Promise.all([
      ddcn(['run', '--registry', 'mock', '--registry-data', registry, '--batch-size', '1001'], env),
      ddcn(['lookup', '0100000001'], env),
    ]);
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toContain('--batch-size 1001 is more than the registry takes in one request (at most 1000 people)');
    expect(tooBig.stdout).toBe(''); // no batch was started
    expect(code.code).toBe(2);
    expect(code.stderr).toContain('10 digits is a mã số BHXH, and lookup takes an ID number');
    expect(code.stderr).not.toContain('0100000001');
  }, SLOW);

  it('a port in use: the server says so, naming its own command as the likely holder, and exits 1', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as net.AddressInfo).port;
    const [registryServer, portal] = await Promise.all([
      ddcn(['registry', 'serve', '--data', registry, '--port', String(port)], env),
      ddcn(['serve', '--port', String(port)], env),
    ]);
    expect(registryServer.code).toBe(1);
    expect(registryServer.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use (another ddcn registry serve?); stop that process or choose another --port`);
    expect(portal.code).toBe(1);
    expect(portal.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use (another ddcn serve?); stop that process or choose another --port`);
  }, SLOW);
});

describe('ddcn migrate', () => {
  it('names the migrations it applied on a new database, then says the schema is up to date', async () => {
    const serverUrl = inject('databaseUrl');
    const name = `ddcn_migrate_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    onTestFinished(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    });
    const url = withDatabase(serverUrl, name);
    const first = await ddcn(['migrate'], { DATABASE_URL: url });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^applied 0001_init.sql, 0002_.*, 0034_district_three_digits.sql, 0035_figures_cache_corrected_data_stands.sql, 0036_state_mark_pending_changes.sql, 0037_figures_cache_number_never_compared.sql, 0038_reread_midnight_dates.sql, 0039_reread_excel_text_and_apostrophes.sql, 0040_mark_corrections_replaced_while_pending.sql, 0041_index_corrections_by_import.sql\n$/m);
    const again = await ddcn(['migrate'], { DATABASE_URL: url });
    expect(again.stderr).toContain('database schema is up to date');

    // A database migrated by another build, whose 0023 was another file (one withdrawn before release), with a
    // migration of this build still to apply: nothing is applied, and the operator is told why.
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      await db.query(`UPDATE schema_migration SET name = '0023_outcome_updates_hot.sql' WHERE version = 23`);
      await db.query(`DELETE FROM schema_migration WHERE version = 22`);
      const other = await ddcn(['migrate'], { DATABASE_URL: url });
      expect(other.code).toBe(1);
      expect(other.stderr).toContain(
        'the database has migration 0023_outcome_updates_hot.sql applied where this ddcn has 0023_cheaper_number_checks.sql: ' +
          'it was migrated by another build of ddcn. Nothing was applied.',
      );
      expect(other.stderr).not.toContain('Check DATABASE_URL');
      expect((await db.query('SELECT 1 FROM schema_migration WHERE version = 22')).rowCount).toBe(0);
    } finally {
      await db.end();
    }
  }, SLOW);
});

describe('a database that cannot be reached', () => {
  it('is named without its password, whether in the user part of DATABASE_URL or as a parameter', async () => {
    for (const url of ['postgres://clerk:s3cret-one@127.0.0.1:1/livedb', 'postgres://clerk@127.0.0.1:1/livedb?sslmode=disable&password=s3cret-two']) {
      const r = await ddcn(['lookup', '001090000001'], { DATABASE_URL: url });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('Check DATABASE_URL and that the server is running');
      expect(r.stderr).toContain('127.0.0.1:1/livedb');
      expect(r.stderr).not.toMatch(/s3cret/);
    }
  }, SLOW);
});

describe('a run beside an import of participants', () => {
  it('says that the import was at work, and that the people it changes are verified by the next run (lists: written again)', async () => {
    const t = await createTestDatabase();
    onTestFinished(() => t.drop());
    const at = { DATABASE_URL: t.url, DDCN_HOME: path.join(dir, 'home') };
    expect((await ddcn(['import', 'participants', path.join(dir, 'participants.csv'), '--rejects', path.join(dir, 'beside.rejects.csv')], at)).code).toBe(0);
    // The import's turn, held as an import at work holds it.
    const importing = new pg.Client({ connectionString: t.url });
    await importing.connect();
    onTestFinished(() => importing.end());
    await importing.query('SELECT pg_advisory_lock(22070017::bigint)');
    const r = await ddcn(['run', '--registry', 'mock', '--registry-data', registry], at);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'an import of participants was at work on this database during this run: the people it changed after this batch read them are PENDING again ' +
        '(the counts above are of their earlier data), and the next `ddcn run` verifies them.',
    );
    const lists = await ddcn(['lists', '--out', path.join(dir, 'lists-beside')], at);
    expect(lists.code, lists.stderr).toBe(0);
    expect(lists.stderr).toContain(
      'an import of participants was at work on this database while these lists were written: the people it changes are on them with their outcome ' +
        'before the change, or on none; once it is over (and the run after it), run ddcn lists again\n',
    );
    await importing.query('SELECT pg_advisory_unlock(22070017::bigint)');
    expect((await ddcn(['lists', '--out', path.join(dir, 'lists-beside')], at)).stderr).not.toContain('an import of participants');
    await t.db.query(`UPDATE participant SET ho_ten = ho_ten || ' ' WHERE ma_so_bhxh = '0100000001'`);
    const alone = await ddcn(['run', '--registry', 'mock', '--registry-data', registry], at);
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.stderr).not.toContain('an import of participants was at work');
  }, SLOW);
});

describe('lists before anyone is verified', () => {
  it('says that everyone in scope waits for verification and what to run, rather than a bare "wrote 0 files"', async () => {
    const waiting = await createTestDatabase();
    onTestFinished(() => waiting.drop());
    const at = { DATABASE_URL: waiting.url, DDCN_HOME: path.join(dir, 'home') };
    expect((await ddcn(['import', 'participants', path.join(dir, 'participants.csv'), '--rejects', path.join(dir, 'waiting.rejects.csv')], at)).code).toBe(0);
    const all = await ddcn(['lists', '--out', path.join(dir, 'lists-waiting')], at);
    expect(all.code, all.stderr).toBe(0); // nothing failed: the first night of a file exchange is like this
    expect(all.stderr).toContain('no lists: nobody on file is verified yet — 3 participants wait for verification (PENDING). Run ddcn run');
    expect(all.stderr).not.toContain('wrote 0 files');
    const one = await ddcn(['lists', '--out', path.join(dir, 'lists-waiting'), '--unit', 'TB0001A'], at);
    expect(one.stderr).toContain('no lists: nobody of unit TB0001A is verified yet — 1 participant waits for verification (PENDING).');
    // The province as on file (its folder of lists is 79/), however it was typed.
    const province = await ddcn(['lists', '--out', path.join(dir, 'lists-waiting'), '--province', '079'], at);
    expect(province.stderr).toContain('no lists: nobody of province 79 is verified yet — 1 participant waits for verification (PENDING).');
    // Once verified, the usual summary.
    expect((await ddcn(['run', '--registry', 'mock', '--registry-data', registry], at)).code).toBe(0);
    const after = await ddcn(['lists', '--out', path.join(dir, 'lists-waiting')], at);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).toMatch(/wrote 3 files for 3 units/);
  }, SLOW);
});

describe('a province with a VssID target and nobody in it yet', () => {
  it('has its Mẫu 03, a row of zeros against its target, as the national report shows it; a province with neither is still refused', async () => {
    const targets = path.join(dir, 'chi-tieu-002.csv');
    await writeFile(targets, 'ma_tinh,chi_tieu_vssid\n002,100\n');
    expect((await ddcn(['import', 'targets', targets], env)).code).toBe(0);
    const [withTarget, without] = await Promise.all([
      ddcn(['report', 'progress', '--out', path.join(dir, 'mau03-002.xlsx'), '--province', '02'], env),
      ddcn(['report', 'progress', '--out', path.join(dir, 'mau03-003.xlsx'), '--province', '003'], env),
    ]);
    expect(withTarget.code, withTarget.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'mau03-002.xlsx'))).toBe(true);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/no province 003 in /);
  }, SLOW);
});
