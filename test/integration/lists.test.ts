// `ddcn lists`: Mẫu 01 / Mẫu 02 as the plan prints them, opened with exceljs the way a clerk's Excel would.
import { execFile, spawnSync } from 'node:child_process';
import { lstat, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { threadId } from 'node:worker_threads';
import { promisify } from 'node:util';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { generateLists } from '../../src/pipeline/lists.js';
import { runBatch } from '../../src/pipeline/run.js';
import {
  databasePerFile, deps, mockRegistry, runDeps, useTempDir, writeParticipants, writeRegistry, type ParticipantInput, type RegistryInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const SAO_MAI = { ma_don_vi: 'DV0790001', ten_don_vi: 'Công ty TNHH Sao Mai', dia_chi_don_vi: 'Số 12 Nguyễn Huệ, Quận 1', ma_tinh: '079', ma_huyen: '760' };
const CHU_VAN_AN = { ma_don_vi: 'DV0010001', ten_don_vi: 'Trường THPT Chu Văn An', dia_chi_don_vi: 'Số 10 Thụy Khuê', ma_tinh: '001', ma_huyen: '001' };
const FORMULA_NAME = '=HYPERLINK("http://x.vn","Bấm")';

const PEOPLE: ParticipantInput[] = [
  { ma_so_bhxh: '0790000001', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ', so_giay_to: '023456781', vssid: '1', email: 'lan.tran@example.vn', ...SAO_MAI },
  { ma_so_bhxh: '0790000002', ho_ten: FORMULA_NAME, ngay_sinh: '1990', gioi_tinh: 'Nam', so_giay_to: '079090000002', vssid: '1', ...SAO_MAI },
  { ma_so_bhxh: '0790000003', ho_ten: 'Võ Văn Ba', ngay_sinh: '07/1971', gioi_tinh: 'Nam', so_giay_to: '023456783', vssid: '0', ...SAO_MAI },
  { ma_so_bhxh: '0790000004', ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '1966', gioi_tinh: 'Nam', so_giay_to: '023456784', ...SAO_MAI },
  { ma_so_bhxh: '0790000005', ho_ten: 'Phạm Văn Hùng', ngay_sinh: '01/01/1980', gioi_tinh: 'Nam', so_giay_to: '023456785', ...SAO_MAI },
  { ma_so_bhxh: '0790000006', ho_ten: 'Ngô Thị Sáu', ngay_sinh: '1992', gioi_tinh: 'Nữ', so_giay_to: '', vssid: '1', email: 'sau@example.vn', ...SAO_MAI },
  { ma_so_bhxh: '0790000007', ho_ten: 'Hoàng Văn Bảy', ngay_sinh: '1975', gioi_tinh: 'Nam', so_giay_to: '023456787', ...SAO_MAI },
  { ma_so_bhxh: '0790000008', ho_ten: 'Hoàng Văn Bảy', ngay_sinh: '1975', gioi_tinh: 'Nam', so_giay_to: '079075000007', ...SAO_MAI },
  { ma_so_bhxh: '0010000001', ho_ten: 'Lý Thị Chín', ngay_sinh: '09/09/1999', gioi_tinh: 'Nữ', so_giay_to: '001199000001', vssid: '1', email: 'chin@example.vn', ...CHU_VAN_AN },
  { ma_so_bhxh: '0790000010', ho_ten: 'Trương Văn Mười', ngay_sinh: '1980', gioi_tinh: 'Nam', so_giay_to: '', ma_tinh: '079' },
  { ma_so_bhxh: '0790000011', ho_ten: 'Mai Văn Mười Một', ngay_sinh: '1981', gioi_tinh: 'Nam', so_giay_to: '079081000011', ...SAO_MAI, ma_don_vi: '../../etc' },
];
const REGISTRY: RegistryInput[] = [
  { so_ddcn: '079185000001', so_cmnd: '023456781', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ' },
  { so_ddcn: '079090000002', ho_ten: FORMULA_NAME, ngay_sinh: '01/02/1990', gioi_tinh: 'Nam' },
  { so_ddcn: '079071000003', so_cmnd: '023456783', ho_ten: 'Võ Văn Ba', ngay_sinh: '15/07/1971', gioi_tinh: 'Nam' },
  { so_ddcn: '079065000004', so_cmnd: '023456784', ho_ten: 'Đỗ Văn Bốn', ngay_sinh: '12/03/1965', gioi_tinh: 'Nam' },
  { so_ddcn: '079080000005', so_cmnd: '023456785', ho_ten: 'Phạm Văn Hưng', ngay_sinh: '01/01/1980', gioi_tinh: 'Nam' },
  { so_ddcn: '079075000007', so_cmnd: '023456787', ho_ten: 'Hoàng Văn Bảy', ngay_sinh: '1975', gioi_tinh: 'Nam' },
  { so_ddcn: '001199000001', ho_ten: 'Lý Thị Chín', ngay_sinh: '09/09/1999', gioi_tinh: 'Nữ' },
  { so_ddcn: '079081000011', ho_ten: 'Mai Văn Mười Một', ngay_sinh: '1981', gioi_tinh: 'Nam' },
];

async function verified() {
  const { db } = database();
  const dir = await useTempDir();
  await importParticipants(deps(db), await writeParticipants(dir, PEOPLE));
  await runBatch(runDeps(db, await mockRegistry(await writeRegistry(dir, REGISTRY))), { province: null });
  return { db, dir, out: path.join(dir, 'lists') };
}

async function sheetOf(file: string): Promise<ExcelJS.Worksheet> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  return wb.worksheets[0]!;
}

const text = (ws: ExcelJS.Worksheet, ref: string) => ws.getCell(ref).text;
/** The row holding a participant's code in column B. */
function personRow(ws: ExcelJS.Worksheet, code: string): ExcelJS.Row {
  let found: ExcelJS.Row | undefined;
  ws.eachRow((row) => {
    if (row.getCell(2).value === code) found = row;
  });
  if (!found) throw new Error(`${code} is not on the sheet`);
  return found;
}
async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

const execFileAsync = promisify(execFile);

describe('ddcn lists', () => {
  it('writes Mẫu 01 and Mẫu 02 per unit under DIR/<ma_tinh>/<ma_don_vi>/, only where the form has rows', async () => {
    const { db, out } = await verified();
    const r = await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
    expect(await files(out)).toEqual([
      '001/DV0010001/mau01.xlsx',
      '079/DV0790001/mau01.xlsx',
      '079/DV0790001/mau02.xlsx',
      '079/_-etc_74ccf3c5b4c19a81/mau01.xlsx', // a unit code with "../" stays inside DIR, encoded
      '079/_chua-co-ma-don-vi/mau02.xlsx',
    ]);
    expect(r).toMatchObject({ units: 4, rows: 11, files: { mau01: 3, mau02: 2, 'ho-tro': 0 } });
  });

  it('lays Mẫu 01 out as the plan prints it, with the VssID columns and text-typed numbers', async () => {
    const { db, out } = await verified();
    await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
    const ws = await sheetOf(path.join(out, '079/DV0790001/mau01.xlsx'));

    // Sao Mai is managed by a district office (079/760): it issues the list, under its province's office
    expect(text(ws, 'A1')).toBe('BẢO HIỂM XÃ HỘI THÀNH PHỐ HỒ CHÍ MINH');
    expect(text(ws, 'A2')).toBe('BẢO HIỂM XÃ HỘI QUẬN 1');
    expect(text(ws, 'I1')).toBe('Mẫu số 01');
    expect(text(ws, 'A5')).toBe(
      'DANH SÁCH NGƯỜI THAM GIA ĐÃ ĐƯỢC CƠ QUAN BHXH ĐỒNG BỘ VỚI CSDL QUỐC GIA VỀ DÂN CƯ VÀ SỬ DỤNG THẺ CĂN CƯỚC CÔNG DÂN KHI ĐI KHÁM CHỮA BỆNH THAY THẾ THẺ BHYT',
    );
    expect([text(ws, 'A7'), text(ws, 'A8'), text(ws, 'A9')]).toEqual([
      'Tên đơn vị: Công ty TNHH Sao Mai', 'Mã đơn vị: DV0790001', 'Địa chỉ: Số 12 Nguyễn Huệ, Quận 1',
    ]);
    // two-level head with the VssID group over (7) and (8)
    expect(['A11', 'B11', 'C11', 'D11', 'E11', 'F11', 'G11', 'I11'].map((c) => text(ws, c))).toEqual([
      'Stt', 'Mã số BHXH', 'Họ và tên', 'Ngày tháng năm sinh', 'Giới tính', 'Số ĐDCN', 'Đăng ký sử dụng ứng dụng VssID - BHXH số', 'Xác nhận của người tham gia',
    ]);
    expect([text(ws, 'G12'), text(ws, 'H12')]).toEqual(['Đã đăng ký VssID', 'Chưa đăng ký']);
    expect(ws.model.merges).toEqual(expect.arrayContaining(['A5:I5', 'A11:A12', 'G11:H11', 'I11:I12']));
    expect((ws.getRow(13).values as unknown[]).slice(1)).toEqual(['(1)', '(2)', '(3)', '(4)', '(5)', '(6)', '(7)', '(8)', '(9)']);

    // one row per person, Stt from 1, in code order
    expect([14, 15, 16].map((r) => [ws.getCell(r, 1).value, ws.getCell(r, 2).value])).toEqual([
      [1, '0790000001'], [2, '0790000002'], [3, '0790000003'],
    ]);
    expect((personRow(ws, '0790000001').values as unknown[]).slice(1)).toEqual([
      1, '0790000001', 'Trần Thị Lan', '12/03/1985', 'Nữ', '079185000001', 'lan.tran@example.vn',
    ]);
    expect(personRow(ws, '0790000002').getCell(7).value).toBe('đề nghị kê khai bổ sung email');
    const ba = personRow(ws, '0790000003');
    expect([ba.getCell(4).value, ba.getCell(7).value, ba.getCell(8).value]).toEqual(['07/1971', null, 'X']);

    // numbers and codes are text; a name that looks like a formula is text too
    const lan = personRow(ws, '0790000001');
    for (const c of [2, 6]) {
      expect(lan.getCell(c).type).toBe(ExcelJS.ValueType.String);
      expect(lan.getCell(c).numFmt).toBe('@');
    }
    const formula = personRow(ws, '0790000002').getCell(3);
    expect(formula.type).toBe(ExcelJS.ValueType.String);
    expect(formula.value).toBe(FORMULA_NAME);
    expect(formula.formula).toBeUndefined();

    // printed like the form: Times New Roman, borders, A4 landscape, head repeated, frozen under the head
    expect(lan.getCell(3).font.name).toBe('Times New Roman');
    expect(lan.getCell(3).border.left?.style).toBe('thin');
    expect(ws.getCell('A11').alignment.wrapText).toBe(true);
    expect(ws.pageSetup).toMatchObject({ paperSize: 9, orientation: 'landscape', fitToWidth: 1, fitToHeight: 0, printTitlesRow: '11:13' });
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 13 });
    expect(ws.getColumn(3).width).toBeGreaterThan(ws.getColumn(1).width!);

    // notes and the signature block under the table, with the place and the date
    let place = '';
    let signer = '';
    ws.eachRow((row) => row.eachCell((cell) => {
      if (/, ngày \d\d tháng \d{1,2} năm \d{4}$/.test(cell.text)) place = cell.text;
      if (cell.text === 'GIÁM ĐỐC') signer = cell.text;
    }));
    expect(place).toBe('Quận 1, ngày 03 tháng 6 năm 2024');
    expect(signer).toBe('GIÁM ĐỐC');
  });

  it('heads a list with the province office where no district office manages the unit, or where it manages it in another province', async () => {
    const { db, out } = await verified();
    await db.query(`UPDATE unit SET ma_huyen = NULL WHERE ma_don_vi = 'DV0010001'`);
    // the people the district office 079/760 manages, filed under province 001: that province's office issues their list
    await db.query(`UPDATE participant SET ma_tinh = '001', ma_huyen = NULL WHERE ma_so_bhxh = '0790000001'`);
    await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
    const heads = async (file: string) => {
      const ws = await sheetOf(path.join(out, file));
      let place = '';
      ws.eachRow((row) => row.eachCell((cell) => {
        if (/, ngày \d\d tháng \d{1,2} năm \d{4}$/.test(cell.text)) place = cell.text;
      }));
      return [text(ws, 'A1'), text(ws, 'A2'), place];
    };
    expect(await heads('001/DV0010001/mau01.xlsx')).toEqual(['BẢO HIỂM XÃ HỘI VIỆT NAM', 'BẢO HIỂM XÃ HỘI THÀNH PHỐ HÀ NỘI', 'Hà Nội, ngày 03 tháng 6 năm 2024']);
    expect(await heads('001/DV0790001/mau01.xlsx')).toEqual(['BẢO HIỂM XÃ HỘI VIỆT NAM', 'BẢO HIỂM XÃ HỘI THÀNH PHỐ HÀ NỘI', 'Hà Nội, ngày 03 tháng 6 năm 2024']);
    expect(await heads('079/DV0790001/mau01.xlsx')).toEqual(['BẢO HIỂM XÃ HỘI THÀNH PHỐ HỒ CHÍ MINH', 'BẢO HIỂM XÃ HỘI QUẬN 1', 'Quận 1, ngày 03 tháng 6 năm 2024']);
    // people with no unit: the province office
    expect((await heads('079/_chua-co-ma-don-vi/mau02.xlsx')).slice(0, 2)).toEqual(['BẢO HIỂM XÃ HỘI VIỆT NAM', 'BẢO HIỂM XÃ HỘI THÀNH PHỐ HỒ CHÍ MINH']);
  });

  it('lays Mẫu 02 out with the field-level differences in column 9 and input help in columns 10–13', async () => {
    const { db, out } = await verified();
    await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
    const ws = await sheetOf(path.join(out, '079/DV0790001/mau02.xlsx'));

    expect(text(ws, 'M1')).toBe('Mẫu số 02');
    expect(text(ws, 'A5')).toBe('DANH SÁCH NGƯỜI THAM GIA CHƯA KHỚP VỚI CSDL QUỐC GIA VỀ DÂN CƯ VÀ NGƯỜI THAM GIA CHƯA CÓ SỐ ĐỊNH DANH CÁ NHÂN');
    expect(['C11', 'I11', 'J11', 'N11'].map((c) => text(ws, c))).toEqual([
      'Thông tin cơ quan BHXH quản lý', 'Thông tin chưa khớp với CSDL quốc gia về Dân cư', 'Thông tin kê sửa đổi, bổ sung', 'Xác nhận của người tham gia',
    ]);
    expect(ws.model.merges).toEqual(expect.arrayContaining(['C11:H11', 'J11:M11', 'G12:H12', 'I11:I13']));
    expect((ws.getRow(14).values as unknown[]).slice(1)).toEqual(Array.from({ length: 14 }, (_, i) => `(${i + 1})`));
    expect([15, 16, 17, 18, 19].map((r) => ws.getCell(r, 2).value)).toEqual(['0790000004', '0790000005', '0790000006', '0790000007', '0790000008']);

    expect(personRow(ws, '0790000004').getCell(9).value).toBe('Ngày sinh: 1966 — CSDL dân cư: 12/03/1965');
    expect(personRow(ws, '0790000005').getCell(9).value).toBe(
      'Họ và tên: Phạm Văn Hùng — CSDL dân cư: Phạm Văn Hưng',
    );
    const sau = personRow(ws, '0790000006');
    expect([sau.getCell(6).value, sau.getCell(7).value, sau.getCell(9).value]).toEqual([
      'đề nghị kê khai bổ sung số ĐDCN tại cột 13', 'sau@example.vn', 'Chưa có số ĐDCN/CCCD',
    ]);
    for (const code of ['0790000007', '0790000008']) {
      expect(personRow(ws, code).getCell(9).value).toBe('Số ĐDCN 079075000007 cũng gắn với một mã số BHXH khác: cần kiểm tra, đối chiếu hồ sơ');
    }

    const row = personRow(ws, '0790000004');
    for (const c of [10, 11, 12, 13]) {
      expect(row.getCell(c).value).toBeNull();
      expect(row.getCell(c).numFmt).toBe('@');
      expect((row.getCell(c).fill as ExcelJS.FillPattern).fgColor?.argb).toBe('FFFFF9E6');
    }
    expect(row.getCell(12).dataValidation).toMatchObject({ type: 'list', formulae: ['"Nam,Nữ"'] });
    expect(row.getCell(13).dataValidation).toMatchObject({ type: 'custom', formulae: ['AND(LEN(M15)=12,ISNUMBER(VALUE(M15)))'] });
    expect(row.getCell(11).dataValidation).toMatchObject({ type: 'textLength', showInputMessage: true });
    expect(row.getCell(11).dataValidation.prompt).toContain('dd/mm/yyyy');
    expect(ws.views[0]).toMatchObject({ state: 'frozen', xSplit: 3, ySplit: 14 });
    expect(ws.pageSetup.printTitlesRow).toBe('11:14');
  });

  it('gives the same files when written by worker threads', async () => {
    const { db, out } = await verified();
    await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
    const threaded = `${out}-threads`;
    const r = await generateLists(deps(db), { out: threaded, province: null, unit: null, workers: 2 });
    expect(r.workers).toBe(2);
    expect(await files(threaded)).toEqual(await files(out));
    for (const f of await files(out)) {
      const [a, b] = [await sheetOf(path.join(out, f)), await sheetOf(path.join(threaded, f))];
      const values = (ws: ExcelJS.Worksheet) => {
        const v: unknown[] = [];
        ws.eachRow((row, n) => v.push([n, row.values]));
        return v;
      };
      expect(values(b), f).toEqual(values(a));
    }
  });

  it('reports a file that cannot be written with the reason, in this thread or in a worker, and writes the others', async () => {
    const { db, out } = await verified();
    // A directory where the file must go: the final rename fails.
    await mkdir(path.join(out, '079/DV0790001/mau01.xlsx'), { recursive: true });
    for (const workers of [0, 2]) {
      const r = await generateLists(deps(db), { out, province: null, unit: null, workers });
      expect(r.failed.map((f) => [f.spec.unit.maDonVi, f.spec.form, f.reason])).toEqual([['DV0790001', 'mau01', 'EISDIR']]);
      expect(await files(out)).toContain('079/DV0790001/mau02.xlsx');
    }
    expect((await files(out)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('limits to a province or a unit, and removes lists of an earlier run that have no rows any more', async () => {
    const { db, out } = await verified();
    const stale = path.join(out, '001/DV0010001/mau02.xlsx');
    await mkdir(path.dirname(stale), { recursive: true });
    await writeFile(stale, 'an outdated list');
    const r = await generateLists(deps(db), { out, province: '001', unit: null, workers: 0 });
    expect(r).toMatchObject({ units: 1, rows: 1, removed: 1 });
    expect(await files(out)).toEqual(['001/DV0010001/mau01.xlsx']);

    const u = await generateLists(deps(db), { out, province: null, unit: 'DV0790001', workers: 0 });
    expect(u).toMatchObject({ units: 1, rows: 8, removed: 0 });
    expect(await files(out)).toEqual(['001/DV0010001/mau01.xlsx', '079/DV0790001/mau01.xlsx', '079/DV0790001/mau02.xlsx']);
  });

  it('says which outdated list could not be removed, and writes and removes the others', async (ctx) => {
    const { db, out } = await verified();
    const stale = path.join(out, '001/DV0010001/mau02.xlsx');
    const gone = path.join(out, '079/XX0000000/mau01.xlsx');
    for (const f of [stale, gone]) {
      await mkdir(path.dirname(f), { recursive: true });
      await writeFile(f, 'an outdated list');
    }
    // The file cannot be removed, even by root: the immutable attribute (ext4, xfs…); elsewhere nothing to test.
    const locked = await execFileAsync('chattr', ['+i', stale]).then(() => true, () => false);
    if (!locked) return ctx.skip();
    try {
      const r = await generateLists(deps(db), { out, province: null, unit: null, workers: 0 });
      expect(r.notRemoved).toEqual([{ path: stale, reason: 'EPERM' }]);
      expect(r).toMatchObject({ removed: 1, failed: [] });
      expect(await files(out)).toEqual(expect.arrayContaining(['001/DV0010001/mau01.xlsx', '001/DV0010001/mau02.xlsx', '079/DV0790001/mau02.xlsx']));
      expect(await files(out)).not.toContain('079/XX0000000/mau01.xlsx');
    } finally {
      await execFileAsync('chattr', ['-i', stale]);
    }
  });

  it('writes an escalation list of more people than go to a writer at once, whole and in order, in this thread and in workers', async () => {
    const { db, out } = await verified();
    // 2 600 people of province 079 corrected from a returned Mẫu 02 and, verified again, still not a match (II.6.2),
    // made directly: three pieces (1 000 rows) of the list, read in pages of 700 (a province across four pages).
    const n = 2600;
    await db.query(`INSERT INTO import_run (kind, file_name, started_at, finished_at) VALUES ('corrections', 'tra-ve.xlsx', now(), now())`);
    await db.query(
      `INSERT INTO participant (ma_so_bhxh, ho_ten, ngay_sinh, gioi_tinh, so_giay_to, ma_don_vi, ma_tinh, ma_huyen, status,
                                status_fields, data_version, verified_version, verified_at, created_at, updated_at)
       SELECT '07950' || lpad(i::text, 5, '0'), 'Người Số ' || i, '1980', 'M', '0795' || lpad(i::text, 5, '0'),
              'DV0790001', '079', '760', 'MISMATCHED', '{name}', 2, 2, now(), now(), now()
         FROM generate_series(1, $1::int) i`,
      [n],
    );
    await db.query(
      `INSERT INTO participant_correction (import_id, ma_so_bhxh, field, old_value, new_value, source_file, source_row, data_version, changed_at)
       SELECT (SELECT max(id) FROM import_run), '07950' || lpad(i::text, 5, '0'), 'name', 'Người Cũ', 'Người Số ' || i,
              'tra-ve.xlsx', i + 15, 2, now() FROM generate_series(1, $1::int) i`,
      [n],
    );
    const codes = async (dir: string) => {
      const ws = await sheetOf(path.join(dir, '079/de-nghi-ho-tro.xlsx'));
      const found: string[] = [];
      ws.eachRow((row) => {
        const v = row.getCell(2).value;
        if (typeof v === 'string' && /^\d{10}$/.test(v)) found.push(v);
      });
      return found;
    };
    const expected = Array.from({ length: n }, (_, i) => `07950${String(i + 1).padStart(5, '0')}`);
    for (const workers of [0, 2]) {
      const dir = `${out}-${workers}`;
      const r = await generateLists(deps(db), { out: dir, province: null, unit: null, workers, pageRows: 700 });
      expect(r.files['ho-tro']).toBe(1);
      expect(await codes(dir)).toEqual(expected);
    }
  });

  it('counts an escalation list it could not write once, as not written', async () => {
    const { db, out } = await verified();
    await db.query(`INSERT INTO import_run (kind, file_name, started_at, finished_at) VALUES ('corrections', 'tra-ve.xlsx', now(), now())`);
    await db.query(`UPDATE participant SET data_version = 2, verified_version = 2 WHERE ma_so_bhxh = '0790000005'`);
    await db.query(
      `INSERT INTO participant_correction (import_id, ma_so_bhxh, field, old_value, new_value, source_file, source_row, data_version, changed_at)
       VALUES ((SELECT max(id) FROM import_run), '0790000005', 'name', 'Phạm Văn Hùng', 'Phạm Văn Hừng', 'tra-ve.xlsx', 16, 2, now())`,
    );
    // A folder where the escalation list must go: its rename fails, the units' files are written.
    await mkdir(path.join(out, '079/de-nghi-ho-tro.xlsx'), { recursive: true });
    for (const workers of [0, 2]) {
      const r = await generateLists(deps(db), { out, province: null, unit: null, workers });
      expect(r.failed.map((f) => [f.spec.unit.maTinh, f.spec.form, f.reason])).toEqual([['079', 'ho-tro', 'EISDIR']]);
      expect(r.files).toEqual({ mau01: 3, mau02: 2, 'ho-tro': 0 });
    }
    // A file where the province's folder must go: nothing of it can be written, the list no more than the units'.
    // (The escalation list was once counted -1 here: never counted as begun, then taken off as not written.)
    const blocked = `${out}-blocked`;
    await mkdir(blocked);
    await writeFile(path.join(blocked, '079'), 'not a folder');
    for (const workers of [0, 2]) {
      const r = await generateLists(deps(db), { out: blocked, province: null, unit: null, workers });
      expect(r.failed.filter((f) => f.spec.form === 'ho-tro').map((f) => f.spec.unit.maTinh)).toEqual(['079']);
      expect(r.files).toEqual({ mau01: 1, mau02: 0, 'ho-tro': 0 });
    }
  });
});

describe('ddcn lists run twice at once into one folder', () => {
  it('leaves the lists of the later data, never the earlier run\'s over the later one\'s', async () => {
    const { db, dir, out } = await verified();
    const folder = path.join(out, '001/DV0010001');
    // Run A takes its snapshot (Lý Thị Chín MATCHED: on Mẫu 01), then is held before it writes.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let snapshotTaken!: () => void;
    const taken = new Promise<void>((resolve) => (snapshotTaken = resolve));
    const gated: typeof db = {
      ...db,
      withSession: (fn) => db.withSession((session) => fn({
        ...session,
        withTransaction: (f, o) => session.withTransaction(async (tx) => {
          let first = true;
          return f({
            ...tx,
            query: async (text: string, values?: unknown[]) => {
              const r = await tx.query(text, values);
              if (first) {
                first = false;
                snapshotTaken();
                await held;
              }
              return r;
            },
          } as typeof tx);
        }, o),
      })),
    };
    const a = generateLists({ ...deps(db), db: gated }, { out, province: '001', unit: null, workers: 0 });
    await taken;
    // Meanwhile her name changes in the participants file and the registry no longer confirms her: Mẫu 02.
    await importParticipants(deps(db), await writeParticipants(dir, PEOPLE.map((p) => (p.ma_so_bhxh === '0010000001' ? { ...p, ho_ten: 'Lý Thị Chính' } : p))));
    await runBatch(runDeps(db, await mockRegistry(await writeRegistry(dir, REGISTRY))), { province: null });
    // Run B starts on the new data. A is let go once B is done, or waits for A (a lock not granted yet).
    let bDone = false;
    const b = generateLists(deps(db), { out, province: '001', unit: null, workers: 0 }).finally(() => (bDone = true));
    for (;;) {
      const waiting = await db.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`);
      if (bDone || waiting.rowCount) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    release();
    await Promise.all([a, b]);
    expect(await readdir(folder)).toEqual(['mau02.xlsx']);
    expect(personRow(await sheetOf(path.join(folder, 'mau02.xlsx')), '0010000001').getCell(3).text).toBe('Lý Thị Chính');
  });
});

describe('ddcn lists in a folder others can write into', () => {
  it('never writes a list through a link put under its temporary name, nor leaves the link as the list', async () => {
    const { db, dir, out } = await verified();
    const folder = path.join(out, '001/DV0010001');
    await mkdir(folder, { recursive: true });
    // Someone with access to the unit's folder guesses the temporary name (pid and thread) and links it elsewhere.
    const elsewhere = path.join(dir, 'elsewhere.xlsx');
    await symlink(elsewhere, path.join(folder, `mau01.xlsx.${process.pid}-${threadId}.tmp`));
    await generateLists(deps(db), { out, province: '001', unit: null, workers: 0 });
    await expect(lstat(elsewhere)).rejects.toMatchObject({ code: 'ENOENT' }); // no names or ID numbers out there
    expect((await lstat(path.join(folder, 'mau01.xlsx'))).isFile()).toBe(true);
    expect(personRow(await sheetOf(path.join(folder, 'mau01.xlsx')), '0010000001').getCell(3).text).toBe('Lý Thị Chín');
    expect(await readdir(folder)).toEqual(['mau01.xlsx']);
  });
});

describe('ddcn lists after a run that was killed', () => {
  it('removes the temporary lists a killed run left in the folders, and leaves other files alone', async () => {
    const { db, out } = await verified();
    const folder = path.join(out, '001/DV0010001');
    await mkdir(folder, { recursive: true });
    // A run killed (SIGKILL) between writing a list and renaming it: its process is gone, its file stays.
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    await writeFile(path.join(folder, `mau02.xlsx.${gone}-2.tmp`), 'a list of an older day');
    await writeFile(path.join(out, '001', `de-nghi-ho-tro.xlsx.${gone}-0.tmp`), 'an escalation list of an older day');
    await writeFile(path.join(folder, 'ghi-chu.tmp'), 'the office\'s own file');
    await generateLists(deps(db), { out, province: '001', unit: null, workers: 0 });
    expect(await readdir(folder)).toEqual(['ghi-chu.tmp', 'mau01.xlsx']);
    expect(await readdir(path.join(out, '001'))).toEqual(['DV0010001']);
  });
});
