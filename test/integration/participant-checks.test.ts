// participant's CHECK constraints on the code and the numbers were rewritten for speed (migration 0023); the date's
// kept its regular expression. They must accept exactly what migration 0001's expressions accepted: here the
// installed constraints, read from the catalog, are evaluated next to those on edge cases and random strings.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/prng.js';
import { databasePerFile, rows } from '../helpers/pipeline.js';

const database = databasePerFile();

/** Migration 0001's forms: the reference. */
const ORIGINAL: Record<string, { regex: string; collate: string }> = {
  ma_so_bhxh: { regex: '^[0-9]{10}$', collate: 'COLLATE "C"' },
  ngay_sinh: { regex: '^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$', collate: '' },
  so_ddcn: { regex: '^[0-9]{12}$', collate: 'COLLATE "C"' },
  so_giay_to: { regex: '^([0-9]{9}|[0-9]{12})$', collate: 'COLLATE "C"' },
};

const EDGES = [
  '',
  ' ',
  '0',
  '-',
  '--',
  '0123456789',
  '012345678',
  '01234567890',
  '012345678901',
  '0123456789012',
  '12345678901',
  ' 0123456789',
  '0123456789 ',
  '0123456789\n',
  '\n0123456789',
  '01234 6789',
  '012345678a',
  'a012345678',
  '０１２３４５６７８９',
  '٠١٢٣٤٥٦٧٨٩',
  '012345678\u00b2',
  '01234567８９',
  '001192000004',
  '001192000004 ',
  '00119200000',
  '0011920000040',
  '023456781',
  '02345678',
  '0234567810',
  '1990',
  '199',
  '19900',
  '1990-',
  '1990-1',
  '1990-01',
  '1990-011',
  '1990-01-',
  '1990-01-1',
  '1990-01-01',
  '1990-01-011',
  '1990/01/01',
  '1990-01/01',
  '01-01-1990',
  '1990-0a-01',
  '199O-01-01',
  '1990--01',
  '1990-01--1',
  '-1990',
  '1990-01-01\n',
  '9999-99-99',
  '0000',
  '0000-00',
  'abcd',
  'abcd-ef-gh',
  '1990-01-01-01',
  '1990-01-01 ',
  ' 1990',
  '1990‐01‐01',
];

/** Random strings over an alphabet that makes near misses likely: digits, '-', letters, space, newline, others. */
function randomStrings(n: number, seed: number): string[] {
  const random = mulberry32(seed);
  const alphabet = ['0', '1', '5', '9', '0', '3', '7', '-', '-', 'a', 'O', ' ', '\n', '/', '٣', '９', 'đ'];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = Math.floor(random() * 14);
    let s = '';
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(random() * alphabet.length)];
    out.push(s);
  }
  // And well-formed values with one character changed, the likeliest near misses.
  for (const shape of ['0000000000', '000000000', '000000000000', '0000', '0000-00', '0000-00-00']) {
    for (let i = 0; i < 200; i++) {
      const chars = [...shape].map((c) => (c === '0' ? String(Math.floor(random() * 10)) : c));
      const at = Math.floor(random() * chars.length);
      chars[at] = alphabet[Math.floor(random() * alphabet.length)]!;
      out.push(
        chars.join(''),
        chars.slice(0, -1).join(''),
        `${chars.join('')}${alphabet[Math.floor(random() * alphabet.length)]!}`,
      );
    }
  }
  return out;
}

describe("participant's CHECK constraints", () => {
  it('accept exactly what the original regular expressions accepted, value for value', async () => {
    const { db } = database();
    // NULL (a person without a number) passes both; long values end in the same verdict as short ones.
    const values: Array<string | null> = [
      ...EDGES,
      ...randomStrings(4000, 2207),
      null,
      '0'.repeat(10_000),
      `${'1'.repeat(5_000)}-01-01`,
    ];
    const installed = await rows<{ column: string; def: string }>(
      db,
      `SELECT a.attname AS column, pg_get_constraintdef(c.oid) AS def
         FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.conrelid = 'participant'::regclass AND c.contype = 'c' AND a.attname = ANY($1::text[])`,
      [Object.keys(ORIGINAL)],
    );
    expect(installed.map((c) => c.column).sort()).toEqual(Object.keys(ORIGINAL).sort());
    for (const { column, def } of installed) {
      const check = def.replace(/^CHECK /, '');
      const { regex, collate } = ORIGINAL[column]!;
      // A CHECK passes when its expression is true or NULL; each value is given as the column it constrains.
      const differ = await rows<{ v: string; was: boolean; now: boolean }>(
        db,
        `SELECT v, was, now FROM (
           SELECT ${column} AS v, coalesce(${column} ~ $2::text, true) AS was, coalesce(${check}, true) AS now
             FROM (SELECT v ${collate} AS ${column} FROM unnest($1::text[]) AS u(v)) s) t
          WHERE was IS DISTINCT FROM now`,
        [values, regex],
      );
      expect(differ, `${column}: ${def}`).toEqual([]);
    }
    // Both kinds of answer occur for every column, so the comparison is not vacuous.
    for (const column of Object.keys(ORIGINAL)) {
      const { regex } = ORIGINAL[column]!;
      const [r] = await rows<{ yes: number; no: number }>(
        db,
        `SELECT count(*) FILTER (WHERE v ~ $2::text)::int AS yes, count(*) FILTER (WHERE NOT v ~ $2::text)::int AS no FROM unnest($1::text[]) v`,
        [values, regex],
      );
      expect(r!.yes, column).toBeGreaterThan(20);
      expect(r!.no, column).toBeGreaterThan(20);
    }
  });

  it('still refuse a bad value on insert, naming the constraint', async () => {
    const { db } = database();
    await expect(
      db.query(
        `INSERT INTO participant (ma_so_bhxh, ngay_sinh, created_at, updated_at) VALUES ('0100000001', '1990-1-01', now(), now())`,
      ),
    ).rejects.toThrow(/participant_ngay_sinh_check/);
    await expect(
      db.query(
        `INSERT INTO participant (ma_so_bhxh, so_giay_to, created_at, updated_at) VALUES ('0100000001', '０２３４５６７８１', now(), now())`,
      ),
    ).rejects.toThrow(/participant_so_giay_to_check/);
  });
});
