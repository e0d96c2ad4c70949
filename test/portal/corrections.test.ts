// Corrections through the portal: a returned Mẫu 02 uploaded for a unit, and one person's columns 10–13 typed
// into a form. Same checks and history as `ddcn import corrections`; the next run verifies the people again.
import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Portal } from '../../src/portal/app.js';
import { runBatch } from '../../src/pipeline/run.js';
import { databasePerFile, exportedResults, deps, mockRegistry, rows, runDeps, useTempDir } from '../helpers/pipeline.js';
import { fillMau02 } from './fill-mau02.js';
import { portal, seed, signedIn } from './harness.js';
import path from 'node:path';
import { withPart } from '../helpers/zip-parts.js';

const database = databasePerFile();
let open: Portal | null = null;
afterEach(async () => {
  await open?.app.close();
  open = null;
});

async function setUp(settings = {}) {
  const { db } = database();
  const dir = await useTempDir();
  const { registryFile } = await seed(db, dir);
  open = await portal(db, settings);
  return { db, dir, app: open.app, registryFile };
}

const history = (db: Parameters<typeof rows>[0]) =>
  rows(db, `SELECT ma_so_bhxh, field, new_value, source, changed_by FROM participant_correction ORDER BY ma_so_bhxh, field`);

describe('portal corrections', () => {
  it('takes a unit’s filled-in Mẫu 02, shows the result with its rejects, and the next run verifies the people again', async () => {
    const { db, dir, app, registryFile } = await setUp();
    const unit = await signedIn(app, 'dv-hn1');
    const sheet = await unit.get('/units/HN0010001/mau02.xlsx');
    expect(sheet.status).toBe(200);
    const returned = await fillMau02(sheet.raw, {
      '0010000002': { 10: 'Trần Thị Bính' }, // the registry's spelling
      '0010000003': { 11: '31/02/1979' }, // no such day
    });
    // Its name with a right-to-left override (it would print the rest of the escalation list's cell backwards).
    const res = await unit.upload('/units/HN0010001/corrections', { name: 'Mẫu 02\u202e đã điền.xlsx', body: returned });
    expect(res.status).toBe(200);
    expect(res.body).toContain('1 người được điều chỉnh');
    expect(res.body).toContain('1 dòng không nhận');
    const rejectsUrl = /href="([^"]*rejects\.csv)"/.exec(res.body)![1]!;
    const rejects = await unit.get(rejectsUrl);
    expect(rejects.status).toBe(200);
    expect(rejects.body).toContain('0010000003');
    expect(rejects.body).toContain('Cột (11) ngày tháng năm sinh ""31/02/1979"" không hợp lệ'); // CSV-quoted
    expect(await history(db)).toEqual([{ ma_so_bhxh: '0010000002', field: 'name', new_value: 'Trần Thị Bính', source: 'upload', changed_by: 'dv-hn1' }]);
    // Recorded under the name it was sent with (the escalation list names it), not the portal's temporary copy, and
    // without the override.
    expect(await rows(db, 'SELECT source_file, source_row FROM participant_correction')).toEqual([
      { source_file: 'upload:dv-hn1/Mẫu 02 đã điền.xlsx', source_row: expect.any(Number) },
    ]);

    // The office sees the correction counted, then the run moves the person to Mẫu 01.
    const office = await signedIn(app, 'tinh-001');
    expect((await office.get('/units?q=HN0010001')).body).toMatch(/<td class="num"[^>]*>1<\/td>\s*<\/tr>/); // corrections received
    await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    expect((await exportedResults(deps(db), dir)).rows.get('0010000002')?.status).toBe('MATCHED');
    const page = await office.get('/units/HN0010001');
    expect(page.body).toContain('<span class="n">2</span><span>đã khớp</span>');
  });

  it('takes one person’s correction from the form, checked like a sheet row, into the same history', async () => {
    const { db, dir, app, registryFile } = await setUp();
    const unit = await signedIn(app, 'dv-hn1');
    const form = await unit.get('/units/HN0010001/people/0010000002');
    expect(form.status).toBe(200);
    expect(form.body).toContain('Trần Thị Bính'); // column 9: the registry's name

    const bad = await unit.post('/units/HN0010001/people/0010000002', { ngay_sinh: '31/02/1985', gioi_tinh: 'X' });
    expect(bad.status).toBe(422);
    expect(bad.body).toContain('Cột (11) ngày tháng năm sinh &quot;31/02/1985&quot; không hợp lệ');
    expect(bad.body).toContain('Cột (12) giới tính &quot;X&quot; không hợp lệ');
    // The fields the reasons name are marked, each described by its own reason said under it, the first one
    // focused; the reasons are listed at the top too, each a link to its field.
    const marked = (name: string) => new RegExp(`<(?:input|select) name="${name}" id="f-${name}" aria-invalid="true" aria-describedby="e-${name}"`).test(bad.body);
    expect(['ho_ten', 'ngay_sinh', 'gioi_tinh', 'so_ddcn'].map(marked)).toEqual([false, true, true, false]);
    expect(bad.body).toMatch(/name="ngay_sinh" id="f-ngay_sinh" aria-invalid="true" aria-describedby="e-ngay_sinh" autofocus/);
    expect(bad.body.match(/autofocus/g)).toHaveLength(1);
    const said = (name: string) => new RegExp(`<p class="field-error error" id="e-${name}">([^<]*)</p>`).exec(bad.body)?.[1];
    expect(said('ngay_sinh')).toBe('Cột (11) ngày tháng năm sinh &quot;31/02/1985&quot; không hợp lệ: ghi dd/mm/yyyy, mm/yyyy hoặc yyyy');
    expect(said('gioi_tinh')).toMatch(/^Cột \(12\) giới tính &quot;X&quot; không hợp lệ/);
    expect(bad.body).toMatch(/<div class="error-summary" id="form-error" role="alert" tabindex="-1">[\s\S]*<a href="#f-ngay_sinh">Cột \(11\)[\s\S]*<a href="#f-gioi_tinh">Cột \(12\)/);
    expect(form.body).not.toContain('aria-invalid');
    expect(await history(db)).toEqual([]);

    expect((await unit.post('/units/HN0010001/people/0010000002', {})).status).toBe(422);
    // The name on file typed again: nothing recorded, and the page's heading says so.
    const same = await unit.submit('/units/HN0010001/people/0010000002', { ho_ten: 'Trần Thị Bích' });
    expect(same.status).toBe(200);
    expect(same.body).toContain('<h1>Không có gì thay đổi</h1>');
    expect(same.body).not.toContain('Đã ghi điều chỉnh');
    expect(await history(db)).toEqual([]);
    const ok = await unit.submit('/units/HN0010001/people/0010000002', { ho_ten: '  Trần Thị   Bính ' });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('Đã ghi 1 thông tin điều chỉnh');
    expect(await history(db)).toEqual([{ ma_so_bhxh: '0010000002', field: 'name', new_value: 'Trần Thị Bính', source: 'web', changed_by: 'dv-hn1' }]);

    const again = await runBatch(runDeps(db, await mockRegistry(registryFile)), { province: null });
    expect(again.counts).toMatchObject({ read: 1, matched: 1 });
    expect((await exportedResults(deps(db), dir)).rows.get('0010000002')?.status).toBe('MATCHED');
    // Now confirmed: no longer on Mẫu 02, so no longer correctable here; the page says so (the person is in scope).
    const confirmed = await unit.get('/units/HN0010001/people/0010000002');
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toContain('đã được xác thực khớp');
    expect(confirmed.body).not.toContain('name="ho_ten"');
  });

  it('reads one upload at a time per account (another file sent meanwhile is a 429, the same file again is shown the first one’s result), and refuses one long text shown in many cells', async () => {
    const { db, app } = await setUp();
    const unit = await signedIn(app, 'dv-hn1');
    const sheet = await unit.get('/units/HN0010001/mau02.xlsx');
    const returned = await fillMau02(sheet.raw, { '0010000002': { 10: 'Trần Thị Bính' } });
    // 3 000 more people's rows (their codes on no list of the unit): a file that takes a moment to read.
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(returned as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    for (let i = 0; i < 3000; i++) ws.addRow([i + 10, String(9_900_000_000 + i), `Người ${i}`, '01/01/1990', 'Nam', '', '', '', '', `Người ${i}`]);
    const large = Buffer.from(await wb.xlsx.writeBuffer());
    ws.getCell(15, 3).value = 'Người khác';
    const other = Buffer.from(await wb.xlsx.writeBuffer());
    const both = await Promise.all([large, other].map((body) => unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body })));
    expect(both.map((r) => r.status).sort()).toEqual([200, 429]);
    expect(both.find((r) => r.status === 429)!.body).toContain('Tệp gửi trước của tài khoản này đang được xử lý. Chờ kết quả của tệp đó rồi gửi tiếp.');
    ws.getCell(15, 3).value = 'Người 0';
    // A double click: the same file twice at once is read and applied once, and both answers show that one result.
    const uploads = async () => (await rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM portal_upload'))[0]!.n;
    const before = await uploads();
    const twice = await Promise.all([1, 2].map(() => unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: large })));
    expect(twice.map((r) => r.status)).toEqual([200, 200]);
    expect(twice[1]!.body).toBe(twice[0]!.body);
    expect(twice[0]!.body).toContain('Kết quả gửi Mẫu số 02');
    expect(await uploads()).toBe(before + 1);
    expect(await rows(db, `SELECT result FROM audit_log WHERE action = 'upload' ORDER BY id DESC LIMIT 2`)).toEqual(
      expect.arrayContaining([{ result: 'same file as the upload in progress: shown its result' }]),
    );
    // The next one, once the first is done, is read.
    expect((await unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: returned })).status).toBe(200);

    // One 4 KB text shown in columns (10)–(13) of 1 680 rows: 50 KB zipped, 28 MB as typed. Each value is kept to its
    // column's limit and one more character: every row refused as too long, and the rejects stored are small.
    const long = 'x'.repeat(4096);
    for (let r = 15; r < 15 + 1680; r++) for (const c of [10, 11, 12, 13]) ws.getCell(r, c).value = long;
    const repeated = Buffer.from(await wb.xlsx.writeBuffer());
    const read = await unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: repeated });
    expect(read.status).toBe(200);
    const stored = await rows<{ n: number }>(db, `SELECT octet_length(rejects_csv)::int AS n FROM portal_upload ORDER BY id DESC LIMIT 1`);
    expect(stored[0]!.n).toBeLessThan(1024 * 1024);
    // One long text shown in columns (1)–(9) too, which are compared with what was sent: more text than the file
    // unpacks to, twice over, is refused before the portal takes it in.
    for (let r = 15; r < 15 + 1680; r++) for (const c of [1, 3, 4, 5, 6, 7, 8, 9]) ws.getCell(r, c).value = long;
    const everywhere = await unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: Buffer.from(await wb.xlsx.writeBuffer()) });
    expect(everywhere.status).toBe(422);
    expect(everywhere.body).toContain('Tệp có nội dung rất dài lặp lại ở nhiều ô (khi đọc ra lớn hơn gấp đôi tệp).');
  });

  it('refuses a file that is too large, has too many rows, or is not .xlsx, clearly and without applying anything', async () => {
    const { db, dir, app } = await setUp({ maxUploadBytes: 64 * 1024, maxUploadRows: 1 });
    const unit = await signedIn(app, 'dv-hn1');
    const sheet = await unit.get('/units/HN0010001/mau02.xlsx');
    const returned = await fillMau02(sheet.raw, { '0010000002': { 10: 'Trần Thị Bính' } });

    const tooManyRows = await unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: returned });
    expect(tooManyRows.status).toBe(413);
    expect(tooManyRows.body).toContain('vượt giới hạn 1 dòng');

    // A small file that unpacks to much more (a sheet of five 1 MB cells): refused before it is read.
    const bomb = new ExcelJS.Workbook();
    await bomb.xlsx.load(returned as unknown as ArrayBuffer);
    const filler = bomb.addWorksheet('Trang phụ', { state: 'hidden' });
    for (let i = 1; i <= 5; i++) filler.getCell(i, 1).value = `${i}${'A'.repeat(1024 * 1024)}`;
    const bombFile = Buffer.from(await bomb.xlsx.writeBuffer());
    expect(bombFile.length).toBeLessThan(64 * 1024);
    const unpacks = await unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: bombFile });
    expect(unpacks.status).toBe(422);
    expect(unpacks.body).toMatch(/Tệp quá lớn khi giải nén \(6 MB, tối đa 5 MB\)/);
    // The same with a zip that says every part holds 100 bytes: what the parts inflate to is what counts.
    const lying = Buffer.from(bombFile);
    const end = lying.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    for (let i = 0, p = lying.readUInt32LE(end + 16); i < lying.readUInt16LE(end + 10); i++) {
      lying.writeUInt32LE(100, p + 24);
      lying.writeUInt32LE(100, lying.readUInt32LE(p + 42) + 22); // and the part's own header, which agrees
      p += 46 + lying.readUInt16LE(p + 28) + lying.readUInt16LE(p + 30) + lying.readUInt16LE(p + 32);
    }
    const lied = await unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: lying });
    expect(lied.status).toBe(422);
    expect(lied.body).toMatch(/Tệp quá lớn khi giải nén \(hơn 5 MB, tối đa 5 MB\)/);
    // 6.8 KB that would make the reader build a cell for every one of a merged range to the sheet's last row and
    // column (the portal ran out of memory): refused before it is read, as are a row far below and a far column.
    const sheetPart = 'xl/worksheets/sheet1.xml';
    const scratch = path.join(dir, 'scratch.xlsx');
    const edits: Array<[string, (xml: string) => string]> = [
      ['a merged range', (xml) => xml.replace('</sheetData>', '</sheetData><mergeCells count="1"><mergeCell ref="A20:XFD1048576"/></mergeCells>')],
      ['a far row', (xml) => xml.replace('</sheetData>', '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')],
      ['a far column', (xml) => xml.replace('</sheetData>', '<row r="40"><c r="XFD40" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')],
      ['a validation of the whole sheet', (xml) => xml.replace('</sheetData>', '</sheetData><dataValidations count="1"><dataValidation type="whole" sqref="A1:XFD1048576"><formula1>1</formula1></dataValidation></dataValidations>')],
    ];
    for (const [what, edit] of edits) {
      const started = performance.now();
      const r = await unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: await withPart(returned, scratch, sheetPart, edit) });
      expect([what, r.status]).toEqual([what, 422]);
      expect(r.body).toContain('Trang tính vượt quá kích thước của Mẫu số 02');
      expect(performance.now() - started).toBeLessThan(5_000); // a bound for a read that ran away, not a timing
    }
    // An end record that counts fewer parts than the directory holds (the reader reads them all): damaged.
    const fewer = Buffer.from(bombFile);
    const tail = fewer.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    fewer.writeUInt16LE(1, tail + 8);
    fewer.writeUInt16LE(1, tail + 10);
    const counted = await unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: fewer });
    expect(counted.status).toBe(422);
    expect(counted.body).toContain('Tệp Excel bị hỏng');

    const tooLarge = await unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: Buffer.alloc(65 * 1024, 1) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toContain('Tệp quá lớn');

    const csv = await unit.upload('/units/HN0010001/corrections', { name: 'mau02.csv', body: Buffer.from('a,b\n') });
    expect(csv.status).toBe(415);
    expect(csv.body).toContain('Chỉ nhận tệp Excel .xlsx');

    const notAForm = await unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: Buffer.from('PK not a zip') });
    expect(notAForm.status).toBe(422);

    // The list as sent and a filled-in copy in one workbook: which one is meant is said, not "not a Mẫu 02".
    const both = new ExcelJS.Workbook();
    await both.xlsx.load(returned as unknown as ArrayBuffer);
    const copy = both.addWorksheet('Bản điền');
    both.worksheets[0]!.eachRow((r, n) => r.eachCell((c, k) => void (copy.getCell(n, k).value = c.value)));
    const two = await unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: Buffer.from(await both.xlsx.writeBuffer()) });
    expect(two.status).toBe(422);
    expect(two.body).toContain('Tệp có 2 trang tính Mẫu số 02');

    // The codes in column (2) wiped: a table that holds nobody is said to be so, not "0 corrected".
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(returned as unknown as ArrayBuffer);
    wb.worksheets[0]!.eachRow((r) => void (/^\d{10}$/.test(r.getCell(2).text) && (r.getCell(2).value = null)));
    const nobody = await unit.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: Buffer.from(await wb.xlsx.writeBuffer()) });
    expect(nobody.status).toBe(422);
    expect(nobody.body).toContain('Không đọc được dòng người tham gia nào trong bảng');
    expect(await history(db)).toEqual([]);
  });

  it('answers a refused upload with the unit’s page, the reason beside the file field, so the clerk picks another file there and then', async () => {
    const { db, app } = await setUp({ maxUploadBytes: 64 * 1024 });
    const office = await signedIn(app, 'tinh-001');
    const other = await office.get('/units/HN0010002/mau02.xlsx'); // another unit's Mẫu 02, in the same office
    const mau01 = await office.get('/units/HN0010001/mau01.xlsx'); // the other list of the unit's page
    await office.get('/units/HN0010001');
    const refusals: Array<[string, { name: string; body: Buffer }, number, string]> = [
      ['a CSV', { name: 'mau02.csv', body: Buffer.from('a,b\n') }, 415, 'Chỉ nhận tệp Excel .xlsx'],
      // What to do about it, not only what is wrong.
      ['an .xls', { name: 'mau02.xls', body: Buffer.from('a,b\n') }, 415, 'mở bằng Excel, chọn Lưu thành &quot;Excel Workbook \\(.xlsx\\)&quot;'],
      ['an empty file', { name: 'mau02.xlsx', body: Buffer.alloc(0) }, 422, 'Tệp đã chọn rỗng \\(0 byte\\)'],
      ['another unit’s form', { name: 'mau02.xlsx', body: other.raw }, 422, 'là Mẫu số 02 của đơn vị HN0010002'],
      // Like every refusal, it says that nothing was applied.
      ['the unit’s Mẫu 01', { name: 'mau01.xlsx', body: mau01.raw }, 422, 'Tệp không phải Mẫu số 02 do hệ thống lập [^<]* Không có thông tin nào được cập nhật'],
      ['a file too large', { name: 'mau02.xlsx', body: Buffer.alloc(65 * 1024, 1) }, 413, 'Tệp quá lớn'],
    ];
    for (const [what, file, status, reason] of refusals) {
      const res = await office.upload('/units/HN0010001/corrections', file);
      expect([what, res.status]).toEqual([what, status]);
      // The unit's page, its upload form included, under a title that says the file was not taken.
      expect(res.body).toContain('<title>Chưa nhận tệp Mẫu số 02 — Đơn vị HN0010001 · ddcn</title>');
      expect(res.body).toContain('<h1>Công ty Hoa Sen</h1>');
      const form = /<form method="post" action="\/units\/HN0010001\/corrections"[\s\S]*?<\/form>/.exec(res.body)?.[0] ?? '';
      // The reason is in the form, announced, and tied to the field, which has the focus.
      expect(form).toMatch(new RegExp(`<p class="error" id="upload-error" role="alert">Chưa nhận tệp vừa gửi: [^<]*${reason}`));
      expect(form).toMatch(/<input type="file" name="file"[^>]* aria-invalid="true" aria-describedby="upload-error" autofocus>/);
    }
    // The form sent from that page works: its token is the session's.
    const sheet = await office.get('/units/HN0010001/mau02.xlsx');
    await office.get('/units/HN0010001');
    const ok = await office.upload('/units/HN0010001/corrections', { name: 'mau02.xlsx', body: await fillMau02(sheet.raw, { '0010000002': { 10: 'Trần Thị Bính' } }) });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('1 người được điều chỉnh');
    expect(await history(db)).toHaveLength(1);
    // A unit out of scope stays a 404 like any other, and a form of an ended session still says to sign in again.
    expect((await office.upload('/units/SG0790001/corrections', { name: 'mau02.csv', body: Buffer.from('a') })).status).toBe(404);
    await office.post('/logout', {});
    const ended = await office.upload('/units/HN0010001/corrections', { name: 'mau02.csv', body: Buffer.from('a') });
    expect(ended.status).toBe(403);
    expect(ended.body).not.toContain('Công ty Hoa Sen');
  });
});
