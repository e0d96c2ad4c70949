// The command line end to end, as an operator (or cron) runs it: a real process, DATABASE_URL, files in and out.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ddcn as run, type Ran } from '../helpers/cli.js';

// The log test reads info-level lines: keep ddcn's own default level.
const ddcn = (args: string[], env: Record<string, string>) => run(args, { DDCN_LOG_LEVEL: '', ...env });
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { parseCsv, rows, writeParticipants, writeRegistry, type ParticipantInput, type RegistryInput } from '../helpers/pipeline.js';


const unit = { ma_don_vi: 'TA0001A', ten_don_vi: 'Công ty A', ma_tinh: '01', ma_huyen: '001' };
const PEOPLE: ParticipantInput[] = [
  { ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam', so_giay_to: '012 345 678', email: 'hung.nv@example.vn', vssid: '1', ...unit },
  { ma_so_bhxh: '0100000002', ho_ten: 'Trần Thị Thủy', ngay_sinh: '25/12/1985', gioi_tinh: 'Nữ', so_giay_to: '079185000002', ...unit },
  { ma_so_bhxh: '0100000003', ho_ten: 'Lê Văn Hùng', ngay_sinh: '14/07/1980', gioi_tinh: 'Nữ', so_giay_to: '023456780', ...unit },
  { ma_so_bhxh: '0100000004', ho_ten: 'Đỗ Thị Mai', ngay_sinh: '1992', gioi_tinh: 'Nữ', so_giay_to: '', ...unit },
  { ma_so_bhxh: '123456789', ho_ten: 'Phan Văn Rơi', ngay_sinh: '02/02/1972', gioi_tinh: 'Nam', so_giay_to: '045678912', ...unit },
];
const REGISTRY: RegistryInput[] = [
  { so_ddcn: '001090000001', so_cmnd: '012345678', ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam' },
  { so_ddcn: '079185000002', ho_ten: 'Trần Thị Thủy', ngay_sinh: '25/12/1985', gioi_tinh: 'Nữ' },
  { so_ddcn: '001081000003', so_cmnd: '023456780', ho_ten: 'Lê Văn Hưng', ngay_sinh: '14/07/1981', gioi_tinh: 'Nam' },
];

/** Every personal value in the input, in the forms a log line could carry them. */
const PERSONAL = [
  ...PEOPLE.flatMap((p) => [p.ho_ten!, p.ngay_sinh!, p.so_giay_to!, p.so_giay_to!.replace(/\s/g, ''), p.email ?? '']),
  ...REGISTRY.flatMap((r) => [r.ho_ten, r.ngay_sinh, r.so_ddcn, r.so_cmnd ?? '']),
  '1990-03-05', '1985-12-25', '1980-07-14', '1972-02-02', // canonical dates
].filter((v) => v.length >= 4);

let t: TestDatabase;
let dir: string;
let env: Record<string, string>;
const ran: Record<string, Ran> = {};

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-cli-'));
  env = { DATABASE_URL: t.url, DDCN_HOME: path.join(dir, 'home') };
  const participants = await writeParticipants(dir, PEOPLE);
  const registry = await writeRegistry(dir, REGISTRY);
  const inOrder = async () => {
    // As an operator would: each step needs the one before.
    ran.import = await ddcn(['import', 'participants', participants], env);
    ran.run = await ddcn(['--log-level', 'debug', 'run', '--registry', 'mock', '--registry-data', registry, '--chunk-size', '2', '--batch-size', '1'], env);
    ran.export = await ddcn(['export', 'results', '--out', path.join(dir, 'results.csv')], env);
    ran.lookup = await ddcn(['lookup', '012.345.678', '--json'], env);
    // The ĐDCN as a spreadsheet's number cell keeps it, its two leading zeros lost; and one nobody has.
    [ran.lookupTen, ran.lookupTenNobody] = await Promise.all([ddcn(['lookup', '1090000001', '--json'], env), ddcn(['lookup', '1090000009'], env)]);
  };
  // Commands that fail before touching data run alongside, to keep the suite fast.
  const alongside = async () => {
    [ran.help, ran.badNumber, ran.missingFile, ran.missingRejectsFolder] = await Promise.all([
      ddcn(['--help'], env),
      ddcn(['lookup', 'abc'], env),
      ddcn(['import', 'participants', path.join(dir, 'nope.csv')], env),
      // A file where the rejects file's folder would be made.
      ddcn(['import', 'participants', participants, '--rejects', path.join(participants, 'r.csv')], env),
    ]);
  };
  await Promise.all([inOrder(), alongside()]);
}, 120_000);

afterAll(async () => {
  await t?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ddcn command line', () => {
  it('imports participants and reports counts and the rejects file on stderr', async () => {
    expect(ran.import!.code).toBe(0);
    expect(ran.import!.stdout).toBe('');
    expect(ran.import!.stderr).toMatch(/5 rows read · 4 new · 0 updated · 0 unchanged · 1 rejected \(see .*participants\.csv\.rejects\.csv\)/);
    expect(await rows(t.db, 'SELECT count(*)::int AS n FROM participant')).toEqual([{ n: 4 }]);
  });

  it('runs a batch and prints only its id on stdout', async () => {
    expect(ran.run!.code, ran.run!.stderr).toBe(0);
    const [batch] = await rows<{ id: number }>(t.db, 'SELECT id FROM batch ORDER BY id');
    expect(ran.run!.stdout).toBe(`${batch!.id}\n`);
    expect(ran.run!.stderr).toMatch(/4 read · 2 MATCHED · 1 MISMATCHED · 1 MISSING_ID · 0 CONFLICT · 0 PENDING · 0 errors · 2 shared/);
  });

  it('exports results with the documented header and one row per participant', async () => {
    expect(ran.export!.code).toBe(0);
    const text = await readFile(path.join(dir, 'results.csv'), 'utf8');
    expect(text.split('\n')[0]).toBe('ma_so_bhxh,status,fields,so_ddcn');
    expect(await parseCsv(text)).toEqual([
      ['ma_so_bhxh', 'status', 'fields', 'so_ddcn'],
      ['0100000001', 'MATCHED', '', '001090000001'],
      ['0100000002', 'MATCHED', '', '079185000002'],
      ['0100000003', 'MISMATCHED', 'dob;name;sex', ''],
      ['0100000004', 'MISSING_ID', '', ''],
    ]);
  });

  it('looks up a participant by the replaced old CMND, typed with dots, as JSON', () => {
    expect(ran.lookup!.code).toBe(0);
    expect(JSON.parse(ran.lookup!.stdout)).toEqual([
      { ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Văn Hùng', so_ddcn: '001090000001', former_numbers: ['012345678'] },
    ]);
    // 10 digits of a province 001–008 number: read as the import reads them, the two zeros put back.
    expect(ran.lookupTen!.code, ran.lookupTen!.stderr).toBe(0);
    expect(JSON.parse(ran.lookupTen!.stdout)).toEqual(JSON.parse(ran.lookup!.stdout));
    expect(ran.lookupTen!.stderr).toContain('10 digits read as a ĐDCN that lost its two leading zeros');
    expect(ran.lookupTenNobody!.code).toBe(0);
    expect(ran.lookupTenNobody!.stderr).toContain('no participant has or had that number (10 digits, read as a ĐDCN that lost its two leading zeros');
  });

  it('writes pino JSON logs on stderr that never contain names, dates of birth or ID numbers', () => {
    const stderr = [ran.import!, ran.run!, ran.export!, ran.lookup!].map((r) => r.stderr).join('\n');
    const logLines = stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(3);
    for (const line of logLines) expect(() => JSON.parse(line)).not.toThrow();
    expect(logLines.some((l) => JSON.parse(l).msg === 'chunk verified')).toBe(true); // debug level was on
    // pino's own numbers (the time in ms, the pid) are not ours: a timestamp such as 1796412199204 holds "1992", a
    // year of birth below. They are blanked before the search.
    const ours = stderr.replace(/"(time|pid)":\d+/g, '"$1":0');
    for (const value of PERSONAL) expect(ours, `stderr contains "${value}"`).not.toContain(value);
    // Names in decomposed form or without the first word would still identify a person.
    for (const p of PEOPLE) expect(stderr.normalize('NFC')).not.toContain(p.ho_ten!.split(' ').slice(1).join(' '));
  });

  it('exits 2 on a usage error and says what is wrong', () => {
    const { badNumber } = ran;
    expect(badNumber!.stderr).toContain('the number given (3 characters) is not a CMND (9 digits)');
    // A letter for a digit (O for 0), full-width digits: said, as the count of characters alone may look right.
    expect(badNumber!.stderr).toContain('it holds 3 characters other than the digits 0–9');
    expect(badNumber!.stderr).not.toContain('abc');
    expect(badNumber!.stdout).toBe('');
    expect(badNumber!.code).toBe(2);
  });

  it('prints help and exits 0 for --help', () => {
    expect(ran.help!.code).toBe(0);
    expect(ran.help!.stdout).toContain('Usage: ddcn');
    expect(ran.help!.stdout).toMatch(/import/);
    expect(ran.help!.stdout).toMatch(/lookup/);
  });

  it('exits 1 with a message when the input file does not exist', () => {
    expect(ran.missingFile!.stderr).toMatch(/cannot open .*nope\.csv: no such file \(check the path\)/);
    expect(ran.missingFile!.stderr.trim().split('\n')).toHaveLength(1); // one line, no stack
    expect(ran.missingFile!.code).toBe(1);
  });

  it('exits 1 with a message, before importing anything, when the rejects file cannot be made', () => {
    const r = ran.missingRejectsFolder!;
    expect(r.stderr).toMatch(/cannot open .*participants\.csv\/r\.csv: /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1); // one line, no stack
    expect(r.code).toBe(1);
  });
});
