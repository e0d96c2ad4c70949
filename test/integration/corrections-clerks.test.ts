// A returned Mẫu 02 as clerks really fill it in: notes in the table, a name in lower case, a number typed from the
// card with a slip, a year where a date was, the same file sent twice, a person already sent to the IT centre.
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { importCorrections } from '../../src/pipeline/corrections.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { generateLists } from '../../src/pipeline/lists.js';
import { runBatch } from '../../src/pipeline/run.js';
import { databasePerFile, deps, mockRegistry, rows, runDeps, type ParticipantInput, type RegistryInput } from '../helpers/pipeline.js';
import { listsOut, rejectsByCode, returned, SAO_MAI, SAO_MAI_PEOPLE, SAO_MAI_REGISTRY } from '../helpers/returned-mau02.js';

const database = databasePerFile();

const UNIT = SAO_MAI;
const PEOPLE: ParticipantInput[] = [
  ...SAO_MAI_PEOPLE,
  { ma_so_bhxh: '0790000006', ho_ten: 'Trần Văn Sáu', ngay_sinh: '05/11/1990', gioi_tinh: 'Nam', so_giay_to: '023456786', ...UNIT },
  { ma_so_bhxh: '0790000007', ho_ten: 'Lý Văn Bảy', ngay_sinh: '01/01/1950', gioi_tinh: 'Nam', so_giay_to: '023456787', ...UNIT },
  { ma_so_bhxh: '0790000008', ho_ten: 'Hà Văn Tám', ngay_sinh: '01/01/1955', gioi_tinh: 'Nam', so_giay_to: '', ...UNIT },
];
const REGISTRY: RegistryInput[] = [
  ...SAO_MAI_REGISTRY,
  { so_ddcn: '079090000006', so_cmnd: '023456786', ho_ten: 'Trần Văn Sáu', ngay_sinh: '11/05/1990', gioi_tinh: 'Nam' },
  { so_ddcn: '079050000007', so_cmnd: '023456787', ho_ten: 'Lý Văn Bảy', ngay_sinh: '1950', gioi_tinh: 'Nam' },
  { so_ddcn: '079055000008', ho_ten: 'Hà Văn Tám', ngay_sinh: '1955', gioi_tinh: 'Nam' },
];

async function listsOutHere() {
  const { db } = database();
  const out = await listsOut(db, PEOPLE, REGISTRY, 'DV0790001');
  /** The next night: a run, then the lists again (the new Mẫu 02's path). */
  const nextNight = async (name: string) => {
    await runBatch(runDeps(db, await mockRegistry(path.join(out.dir, 'registry.csv'))), { province: null });
    const lists = path.join(out.dir, name);
    await generateLists(deps(db), { out: lists, province: null, unit: null, workers: 0 });
    return path.join(lists, '079/DV0790001/mau02.xlsx');
  };
  return { db, ...out, nextNight };
}

/** Column (9) of each person's row of a Mẫu 02, by the code in column (2). */
async function column9(file: string): Promise<Map<string, string>> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const out = new Map<string, string>();
  wb.worksheets[0]!.eachRow((r) => {
    if (/^\d{10}$/.test(r.getCell(2).text)) out.set(r.getCell(2).text, r.getCell(9).text);
  });
  return out;
}

const person = async (db: ReturnType<typeof database>['db'], code: string) =>
  (await rows(db, 'SELECT ho_ten, ngay_sinh, gioi_tinh, so_giay_to, status FROM participant WHERE ma_so_bhxh = $1', [code]))[0];

describe('import corrections, as clerks fill the sheet in', () => {
  it('corrects a person already sent to the IT centre, from the newest list', async () => {
    const { db, dir, mau02, nextNight } = await listsOutHere();
    const wrong = await returned(mau02, dir, (_ws, row) => void (row('0790000003').getCell(10).value = 'Phạm Văn Hừng'));
    expect(await importCorrections(deps(db), wrong)).toMatchObject({ corrected: 1, rejected: 0 });
    const newest = await nextNight('lists-2');
    expect((await column9(newest)).get('0790000003')).toMatch(/^Đã chuyển TT CNTT hỗ trợ ngày 03\/06\/2024\n/);
    const right = await returned(newest, dir, (_ws, row) => void (row('0790000003').getCell(10).value = 'Phạm Văn Hưng'));
    const r = await importCorrections(deps(db), right);
    expect(r).toMatchObject({ corrected: 1, rejected: 0 });
    await nextNight('lists-3');
    expect(await person(db, '0790000003')).toMatchObject({ ho_ten: 'Phạm Văn Hưng', status: 'MATCHED' });
  });

  it('says in column (9) that a correction is in and awaits the next run, without comparing the corrected value', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const filled = await returned(mau02, dir, (_ws, row) => {
      row('0790000003').getCell(10).value = 'Phạm Văn Hưng';
      row('0790000001').getCell(11).value = '12/03/1965';
    });
    expect(await importCorrections(deps(db), filled)).toMatchObject({ corrected: 2 });
    const lists = path.join(dir, 'lists-after');
    await generateLists(deps(db), { out: lists, province: null, unit: null, workers: 0 });
    const col9 = await column9(path.join(lists, '079/DV0790001/mau02.xlsx'));
    expect(col9.get('0790000003')).toBe('Đã nhận điều chỉnh họ và tên ngày 03/06/2024: chờ đối chiếu lại với CSDL dân cư');
    expect(col9.get('0790000001')).toBe('Đã nhận điều chỉnh ngày sinh ngày 03/06/2024: chờ đối chiếu lại với CSDL dân cư');
    // Untouched people still read as before; the sheet already sent, entered again, changes nothing.
    expect(col9.get('0790000006')).toBe('Ngày sinh: 05/11/1990 — CSDL dân cư: 11/05/1990');
    expect(await importCorrections(deps(db), filled)).toMatchObject({ corrected: 0, unchanged: 2, rejected: 0 });
  });

  it('reads on past a note row in the table and past a note in column (14)', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const file = await returned(mau02, dir, (ws, row) => {
      const first = row('0790000001');
      first.getCell(11).value = '12/03/1965';
      first.getCell(14).value = 'Ghi chú: đã đối chiếu CCCD';
      row('0790000003').getCell(10).value = 'Phạm Văn Hưng';
      row('0790000005').getCell(13).value = '079070000055';
      ws.insertRow(row('0790000003').number, ['Ghi chú: những người dưới đây đơn vị đã kiểm tra lại']);
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 3, rejected: 0 });
    expect(await person(db, '0790000005')).toMatchObject({ so_giay_to: '079070000055' });
  });

  it('refuses a name made of invisible characters only, and erases nothing', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const file = await returned(mau02, dir, (_ws, row) => void (row('0790000003').getCell(10).value = '\u200b\u200b'));
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 0, rejected: 1 });
    expect((await rejectsByCode(r.rejectsFile)).get('0790000003')).toMatch(/^Cột \(10\) không có ký tự nào đọc được/);
    expect(await person(db, '0790000003')).toMatchObject({ ho_ten: 'Phạm Văn Hùng' });
  });

  /**
   * A returned Mẫu 02 with `typed` in column (10) of four people and `name` in that of 0790000003: the reasons the
   * rejects file gives the four (in their order), and the names on file of all five afterwards.
   */
  async function column10(typed: Record<string, string>, name: string) {
    const { db, dir, mau02 } = await listsOutHere();
    const file = await returned(mau02, dir, (_ws, row) => {
      for (const [code, value] of Object.entries(typed)) row(code).getCell(10).value = value;
      row('0790000003').getCell(10).value = name;
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 1, rejected: 4 });
    const why = await rejectsByCode(r.rejectsFile);
    const names = await rows<{ ma_so_bhxh: string; ho_ten: string }>(
      db, "SELECT ma_so_bhxh, ho_ten FROM participant WHERE ma_so_bhxh IN ('0790000001', '0790000002', '0790000003', '0790000005', '0790000006') ORDER BY 1",
    );
    return { reasons: Object.keys(typed).map((code) => why.get(code)), names };
  }

  /** The names on file of column10's five people when only 0790000003's was taken, as `name`. */
  const unchangedBut = (name: string) => [
    { ma_so_bhxh: '0790000001', ho_ten: 'Đỗ Văn Bốn' },
    { ma_so_bhxh: '0790000002', ho_ten: 'Ngô Thị Sáu' },
    { ma_so_bhxh: '0790000003', ho_ten: name },
    { ma_so_bhxh: '0790000005', ho_ten: 'Vũ Văn Năm' },
    { ma_so_bhxh: '0790000006', ho_ten: 'Trần Văn Sáu' },
  ];

  it('refuses as a name the words a clerk writes for "nothing to change" (không, như trên, giữ nguyên), tone marks or not, and takes a name like them', async () => {
    const words: Record<string, string> = { '0790000001': 'không', '0790000002': 'Như trên.', '0790000005': 'giu  nguyen', '0790000006': 'ĐÚNG' };
    const { reasons, names } = await column10(words, 'Khổng Văn Hùng');
    expect(reasons).toEqual(Object.values(words).map((word) => `Cột (10) họ và tên "${word}" là lời ghi chú, không phải họ và tên: để trống nếu không cần sửa`));
    expect(names).toEqual(unchangedBut('Khổng Văn Hùng'));
  });

  it('refuses as a name the marks a clerk puts for "nothing to change" (x, -, N/A) and an error typed as text, and takes a name beside them', async () => {
    const { reasons, names } = await column10({ '0790000001': 'x', '0790000002': '-', '0790000005': 'N/A', '0790000006': '#N/A' }, "Phạm Văn H'Hưng-Ly");
    expect(reasons).toEqual([
      'Cột (10) họ và tên "x" không phải họ và tên: ghi họ và tên đầy đủ; để trống nếu không cần sửa',
      'Cột (10) họ và tên "-" không phải họ và tên: ghi họ và tên đầy đủ; để trống nếu không cần sửa',
      'Cột (10) họ và tên "N/A" có ký tự không có trong họ và tên: chỉ ghi họ và tên đầy đủ; để trống nếu không cần sửa',
      'Cột (10) họ và tên "#N/A" có ký tự không có trong họ và tên: chỉ ghi họ và tên đầy đủ; để trống nếu không cần sửa',
    ]);
    expect(names).toEqual(unchangedBut("Phạm Văn H'Hưng-Ly"));
  });

  it('takes in column (13) only a number that can be this person\'s ĐDCN, saying what is wrong', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const first = await returned(mau02, dir, (_ws, row) => {
      row('0790000005').getCell(13).value = '999070000055'; // no such province
      row('0790000002').getCell(13).value = '079992000006'; // born in 2392
      row('0790000001').getCell(13).value = '079166000004'; // digit 4 says a woman; Đỗ Văn Bốn is Nam
      row('0790000003').getCell(13).value = '023456789'; // an old CMND
      row('0790000006').getCell(13).value = '07909535330'; // a digit short: padded, province 007 does not exist
      row('0790000007').getCell(13).value = '7905000007'; // two zeros lost the other way round
    });
    const r = await importCorrections(deps(db), first);
    expect(r).toMatchObject({ corrected: 0, rejected: 6 });
    const why = await rejectsByCode(r.rejectsFile);
    expect(why.get('0790000005')).toMatch(/^Cột \(13\) số ĐDCN "999070000055": 3 chữ số đầu \(999\) không phải mã tỉnh/);
    expect(why.get('0790000002')).toMatch(/chữ số thứ 4–6 cho năm sinh 2392, chưa đến/);
    expect(why.get('0790000001')).toMatch(/^Cột \(13\) số ĐDCN "079166000004" cho giới tính Nữ, khác giới tính Nam của người này — /);
    expect(why.get('0790000003')).toMatch(/đây là số CMND 9 chữ số; ghi số định danh cá nhân 12 chữ số/);
    expect(why.get('0790000006')).toMatch(/3 chữ số đầu \(007\) không phải mã tỉnh/);
    expect(why.get('0790000007')).toMatch(/mất 2 số 0 ở đầu\?/);
    // The same person's number with its year digits matching a corrected date in the same row is taken.
    const second = await returned(mau02, dir, (_ws, row) => {
      row('0790000001').getCell(11).value = '12/03/1965';
      row('0790000001').getCell(13).value = '079065000004';
    });
    expect(await importCorrections(deps(db), second)).toMatchObject({ corrected: 1, rejected: 0 });
  });

  it('writes a name typed in lower case capitalised; the same name in other capitals is no correction', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const file = await returned(mau02, dir, (_ws, row) => {
      row('0790000003').getCell(10).value = 'phạm văn hưng';
      row('0790000001').getCell(10).value = 'ĐỖ VĂN BỐN';
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 1, unchanged: 1, rejected: 0 });
    expect(await person(db, '0790000003')).toMatchObject({ ho_ten: 'Phạm Văn Hưng' });
    expect(await person(db, '0790000001')).toMatchObject({ ho_ten: 'Đỗ Văn Bốn' });
  });

  it("stores ’ (autocorrect's apostrophe) as ', from the export and from column (10), and takes ' for a name stored with ’", async () => {
    const { db } = database();
    const highlands: ParticipantInput[] = [
      // The export itself carries the ’, and so does what a clerk's autocorrect types into column (10).
      { ma_so_bhxh: '0790000009', ho_ten: 'H\u2019Hen Niê', ngay_sinh: '1990', gioi_tinh: 'Nữ', so_giay_to: '023456790', ...UNIT },
      { ma_so_bhxh: '0790000010', ho_ten: 'H Lan Mlô', ngay_sinh: '1991', gioi_tinh: 'Nữ', so_giay_to: '023456791', ...UNIT },
      { ma_so_bhxh: '0790000011', ho_ten: 'Y Bih Ksor', ngay_sinh: '1985', gioi_tinh: 'Nam', so_giay_to: '023456792', ...UNIT },
    ];
    const registry: RegistryInput[] = [
      { so_ddcn: '079190000009', so_cmnd: '023456790', ho_ten: "H'Hen Niê", ngay_sinh: '1990', gioi_tinh: 'Nữ' },
      { so_ddcn: '079191000010', so_cmnd: '023456791', ho_ten: "H'Lan Mlô", ngay_sinh: '1991', gioi_tinh: 'Nữ' },
      { so_ddcn: '079085000011', so_cmnd: '023456792', ho_ten: "Y'Bih Ksor", ngay_sinh: '1985', gioi_tinh: 'Nam' },
    ];
    const { dir } = await listsOut(db, highlands, registry, 'DV0790001');
    expect(await person(db, '0790000009')).toMatchObject({ ho_ten: "H'Hen Niê", status: 'MATCHED' });
    // A name an older ddcn stored with the ’ a unit typed. The export as it was, imported again, changes nobody: the
    // import knows an unchanged line by its text, before anything in it is cleaned.
    await db.query("UPDATE participant SET ho_ten = 'Y\u2019Bih Ksor' WHERE ma_so_bhxh = '0790000011'");
    expect(await importParticipants(deps(db), path.join(dir, 'participants.csv'))).toMatchObject({ updated: 0, unchanged: 3 });
    const lists = path.join(dir, 'lists-2');
    await generateLists(deps(db), { out: lists, province: null, unit: null, workers: 0 });
    const file = await returned(path.join(lists, '079/DV0790001/mau02.xlsx'), dir, (_ws, row) => {
      row('0790000010').getCell(10).value = 'H\u2019Lan Mlô';
      // ' in place of ’ is a correction (the registry tells them apart), not the same name.
      row('0790000011').getCell(10).value = "Y'Bih Ksor";
    });
    expect(await importCorrections(deps(db), file)).toMatchObject({ corrected: 2, unchanged: 0, rejected: 0 });
    await runBatch(runDeps(db, await mockRegistry(path.join(dir, 'registry.csv'))), { province: null });
    expect(await rows(db, "SELECT ma_so_bhxh, ho_ten, status FROM participant WHERE ma_so_bhxh IN ('0790000010', '0790000011') ORDER BY 1")).toEqual([
      { ma_so_bhxh: '0790000010', ho_ten: "H'Lan Mlô", status: 'MATCHED' },
      { ma_so_bhxh: '0790000011', ho_ten: "Y'Bih Ksor", status: 'MATCHED' },
    ]);
  });

  it('refuses a year alone in place of a whole date the registry compared, unless it holds only the year', async () => {
    const { db, dir, mau02, nextNight } = await listsOutHere();
    const file = await returned(mau02, dir, (_ws, row) => {
      row('0790000006').getCell(11).value = '1990';
      // The registry found the name different and the date the same: a year would drop what it confirmed.
      row('0790000003').getCell(10).value = 'Phạm Văn Hưng';
      row('0790000003').getCell(11).value = '1980';
      row('0790000007').getCell(11).value = '1950';
      // No number on file: the registry never compared the date, and the papers give only the year.
      row('0790000008').getCell(11).value = '1955';
      row('0790000008').getCell(13).value = '079055000008';
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 2, rejected: 2 });
    expect(await person(db, '0790000003')).toMatchObject({ ngay_sinh: '1980-01-01', ho_ten: 'Phạm Văn Hùng' });
    expect((await rejectsByCode(r.rejectsFile)).get('0790000006')).toBe(
      'Cột (11) chỉ ghi năm sinh, trong khi ngày sinh đang lưu có đủ ngày, tháng, năm: ' +
        'ghi đủ ngày, tháng, năm sinh như trên giấy tờ (nếu giấy tờ chỉ ghi năm sinh, báo cơ quan BHXH kiểm tra)',
    );
    expect(await person(db, '0790000006')).toMatchObject({ ngay_sinh: '1990-11-05' });
    expect(await person(db, '0790000007')).toMatchObject({ ngay_sinh: '1950' });
    await nextNight('lists-2');
    expect(await person(db, '0790000008')).toMatchObject({ ngay_sinh: '1955', so_giay_to: '079055000008', status: 'MATCHED' });
  });

  it('refuses a year where the registry last refused to check the record (an earlier run may have confirmed its date)', async () => {
    const { db, dir } = await listsOutHere();
    await db.query(`UPDATE verification SET detail = coalesce(detail, '{}'::jsonb) || '{"refused":{"fields":["name"],"reason":"not_accepted"}}'::jsonb
                     WHERE ma_so_bhxh = '0790000006'`);
    const lists = path.join(dir, 'lists-refused');
    await generateLists(deps(db), { out: lists, province: null, unit: null, workers: 0 });
    const file = await returned(path.join(lists, '079/DV0790001/mau02.xlsx'), dir, (_ws, row) => void (row('0790000006').getCell(11).value = '1990'));
    expect(await importCorrections(deps(db), file)).toMatchObject({ corrected: 0, rejected: 1 });
    expect(await person(db, '0790000006')).toMatchObject({ ngay_sinh: '1990-11-05' });
  });

  it('after a note row, reads neither a remark merged over several rows nor a person\'s merged-down empty second line', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const file = await returned(mau02, dir, (ws, row) => {
      const first = row('0790000001');
      for (let c = 1; c <= 14; c++) first.getCell(c).value = null;
      first.getCell(1).value = 'Ghi chú: đơn vị đã đối chiếu CCCD của những người dưới đây';
      // A remark typed in (2) and merged over (2)–(14) of two people's rows.
      const a = row('0790000002');
      const b = row('0790000003');
      for (let c = 2; c <= 14; c++) [a, b].forEach((r) => void (r.getCell(c).value = null));
      a.getCell(2).value = 'Hai người này đã nghỉ việc, đề nghị cơ quan BHXH kiểm tra lại';
      ws.mergeCells(a.number, 2, b.number, 14);
      // The last person corrected, (1), (2) and (10)–(14) each merged down over the empty row under the table.
      const last = row('0790000008');
      last.getCell(13).value = '079055000008';
      for (const c of [1, 2, 10, 11, 12, 13, 14]) ws.mergeCells(last.number, c, last.number + 1, c);
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 1, rejected: 0 });
    expect(r.rowsRead).toBe(4); // 0790000005, 06, 07, 08: nobody twice, no remark as a person
  });

  it('after a note row, refuses a person\'s row whose code was mistyped, and reads no signer typed under the signatures', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const file = await returned(mau02, dir, (ws, row) => {
      const a = row('0790000005');
      a.getCell(2).value = '079000000S';
      a.getCell(13).value = '079070000055';
      const b = row('0790000006');
      b.getCell(2).value = null;
      b.getCell(11).value = '11/05/1990';
      ws.insertRow(row('0790000005').number, ['Ghi chú: những người dưới đây đơn vị đã kiểm tra lại']);
      // Under the signature titles (the last rows of the sheet): the signers' names, where a clerk types them.
      const last = ws.rowCount + 2;
      ws.getCell(last, 2).value = 'Nguyễn Thị Lập';
      ws.getCell(last, 11).value = 'Trần Văn Trưởng';
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 0, rejected: 2 });
    const reasons = [...(await rejectsByCode(r.rejectsFile)).values()].sort();
    expect(reasons[0]).toMatch(/^Mã số BHXH "079000000S" không hợp lệ/);
    expect(reasons[1]).toBe('Thiếu mã số BHXH ở cột (2)');
  });

  it('after a note row, reads a person given a second line by merging columns (1) and (2) each down over it', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const file = await returned(mau02, dir, (ws, row) => {
      // The first person's row made a note (the clerk removed that person); the last one given a second line, the
      // row under the table, with (1)–(2) merged down over both. (Rows are not inserted: exceljs moves cells, not
      // merges.)
      const first = row('0790000001');
      for (let c = 1; c <= 14; c++) first.getCell(c).value = null;
      first.getCell(1).value = 'Ghi chú: đơn vị đã đối chiếu CCCD của những người dưới đây';
      const last = row('0790000008');
      last.getCell(11).value = '1955';
      last.getCell(13).value = '079055000008';
      ws.mergeCells(last.number, 1, last.number + 1, 1);
      ws.mergeCells(last.number, 2, last.number + 1, 2);
      // Something typed on the second line too: read as the person's second row (refused), not dropped.
      ws.getCell(last.number + 1, 12).value = 'Nam';
    });
    const r = await importCorrections(deps(db), file);
    expect(r).toMatchObject({ corrected: 1, rejected: 1 });
    expect((await rejectsByCode(r.rejectsFile)).get('0790000008')).toMatch(/^Mã số BHXH đã có ở dòng \d+ của tệp này$/);
    expect(await person(db, '0790000008')).toMatchObject({ so_giay_to: '079055000008' });
  });

  it('refuses a workbook holding two Mẫu 02 sheets, naming them', async () => {
    const { db, dir, mau02 } = await listsOutHere();
    const filled = await returned(mau02, dir, (_ws, row) => void (row('0790000003').getCell(10).value = 'Phạm Văn Hưng'));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(filled);
    const copy = wb.addWorksheet('Bản gốc');
    wb.worksheets[0]!.eachRow((r, n) => r.eachCell((c, k) => void (copy.getCell(n, k).value = c.value)));
    const two = path.join(dir, 'hai-trang.xlsx');
    await wb.xlsx.writeFile(two);
    await expect(importCorrections(deps(db), two)).rejects.toThrow(/has 2 sheets with "Mẫu số 02" at the top \(".*", "Bản gốc"\): keep only the filled-in one/);
    expect(await person(db, '0790000003')).toMatchObject({ ho_ten: 'Phạm Văn Hùng' });
  });

  it('counts the same file entered again after the run that confirmed it as unchanged, not rejected', async () => {
    const { db, dir, mau02, nextNight } = await listsOutHere();
    const file = await returned(mau02, dir, (_ws, row) => void (row('0790000003').getCell(10).value = 'Phạm Văn Hưng'));
    expect(await importCorrections(deps(db), file)).toMatchObject({ corrected: 1 });
    await nextNight('lists-2');
    expect(await person(db, '0790000003')).toMatchObject({ status: 'MATCHED' });
    expect(await importCorrections(deps(db), file)).toMatchObject({ corrected: 0, unchanged: 1, rejected: 0 });
    // Anything else for a confirmed person is still refused, with why.
    const other = await returned(mau02, dir, (_ws, row) => void (row('0790000003').getCell(10).value = 'Phạm Văn Hưởng'));
    const r = await importCorrections(deps(db), other);
    expect(r).toMatchObject({ rejected: 1 });
    expect((await rejectsByCode(r.rejectsFile)).get('0790000003')).toMatch(/^Người tham gia đã được xác thực khớp/);
  });
});
