// `ddcn lookup` with the number on stdin: an ID number given as an argument is in the process list (`ps`, readable by
// every user of the machine) while the command runs, and in the shell's history after it. Personal data must not be
// in either, so the number can be given on stdin, as `users add --password-stdin` takes a password.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ddcn } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { writeParticipants, type ParticipantInput } from '../helpers/pipeline.js';

const unit = { ma_don_vi: 'TA0001A', ten_don_vi: 'Công ty A', ma_tinh: '01', ma_huyen: '001' };
const PEOPLE: ParticipantInput[] = [
  {
    ma_so_bhxh: '0100000001',
    ho_ten: 'Nguyễn Văn Hùng',
    ngay_sinh: '05/03/1990',
    gioi_tinh: 'Nam',
    so_giay_to: '012345678',
    ...unit,
  },
];

let t: TestDatabase;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-lookup-'));
  env = { DATABASE_URL: t.url, DDCN_HOME: path.join(dir, 'home') };
  const imported = await ddcn(['import', 'participants', await writeParticipants(dir, PEOPLE)], env);
  expect(imported.code, imported.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await t?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('ddcn lookup --number-stdin', () => {
  it('finds the person by the number read from stdin, as by the argument', async () => {
    const [fromStdin, fromArgument] = await Promise.all([
      ddcn(['lookup', '--number-stdin', '--json'], env, 60_000, '012.345.678\n'),
      ddcn(['lookup', '012345678', '--json'], env),
    ]);
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(JSON.parse(fromStdin.stdout)).toEqual([
      { ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Văn Hùng', so_ddcn: null, former_numbers: [] },
    ]);
    expect(fromStdin.stdout).toBe(fromArgument.stdout);
  });

  it('says nobody has a number on stdin that nobody has, and refuses two lines, both forms at once or neither', async () => {
    const [nobody, twoLines, both, neither] = await Promise.all([
      ddcn(['lookup', '--number-stdin'], env, 60_000, '079099999899\n'),
      ddcn(['lookup', '--number-stdin'], env, 60_000, '012345678\n079099999899\n'),
      ddcn(['lookup', '012345678', '--number-stdin'], env, 60_000, '012345678\n'),
      ddcn(['lookup'], env),
    ]);
    expect(nobody.code, nobody.stderr).toBe(0);
    expect(nobody.stderr).toContain('no participant has or had that number');
    for (const r of [twoLines, both, neither]) expect(r.code, r.stderr).toBe(2);
    // Neither number is repeated in what is said.
    expect([nobody, twoLines, both, neither].map((r) => r.stderr).join('')).not.toMatch(/012345678|079099999899/);
  });
});
