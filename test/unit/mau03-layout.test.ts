// Mẫu 03 as the offices print and file it: the head (issuing office, title, period, scope), the three-row column
// head with its merges, the rows and their number formats, the notes and the signature block, for the national
// report and a province's. Found by mutation testing: the print test checks that no text overflows its row, so
// changes that only made rows taller, or dropped a line of the head, were let through.
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { mau03Bytes, type ProgressReport, type ProgressRow } from '../../src/reports/mau03.js';
import { assess } from '../../src/reports/milestones.js';

const AS_OF = { year: 2024, month: 8, day: 15 };
const row = (label: string, total: number, matched: number): ProgressRow => ({
  label, total, matched, matchedRate: total ? matched / total : null, matchedIncrease: 120, mismatched: total - matched, missing: 0,
  conflict: 0, pending: 0, corrected: 12, rematched: 3, escalated: 1, target: 2_000_000, vssid: 1_234_567, vssidRate: 0.617,
  vssidIncrease: 4_321, assessment: assess(total ? matched / total : null, AS_OF, AS_OF.year),
});
const report = (province: string | null, period: 'week' | 'month', rows = [row('A', 1000, 900), row('B', 10, 0)]): ProgressReport => ({
  province, period, from: { year: 2024, month: 8, day: 9 }, asOf: AS_OF, issuedAt: new Date('2024-08-15T03:00:00Z'),
  rows, total: row('Tổng cộng', 1010, 900),
});

async function sheet(r: ProgressReport): Promise<ExcelJS.Worksheet> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await mau03Bytes(r)) as unknown as ArrayBuffer);
  return wb.worksheets[0]!;
}

/** Row → the values written in it (a merged block once, in its first cell), by column. */
function texts(ws: ExcelJS.Worksheet, rows: number[]): Record<number, Record<number, unknown>> {
  const out: Record<number, Record<number, unknown>> = {};
  for (const r of rows) {
    const cells: Record<number, unknown> = {};
    ws.getRow(r).eachCell((c, k) => {
      if (c.value !== null && (!c.isMerged || c.master === c)) cells[k] = c.value;
    });
    out[r] = cells;
  }
  return out;
}

const merges = (ws: ExcelJS.Worksheet) => (ws.model as unknown as { merges: string[] }).merges;

describe('Mẫu 03, head and foot', () => {
  it('the national report: from the IT centre, for a month, by province, signed in Hà Nội', async () => {
    const ws = await sheet(report(null, 'month'));
    expect(texts(ws, [1, 2, 3, 4, 5, 6, 7, 8])).toEqual({
      1: { 1: 'BẢO HIỂM XÃ HỘI VIỆT NAM', 16: 'Mẫu số 03' },
      2: { 1: 'TRUNG TÂM CÔNG NGHỆ THÔNG TIN' },
      3: { 1: '――――――――' },
      4: {},
      5: { 1: 'BÁO CÁO TIẾN ĐỘ CẬP NHẬT SỐ ĐDCN/CCCD VÀ CÀI ĐẶT, PHÊ DUYỆT, SỬ DỤNG ỨNG DỤNG VssID' },
      6: { 1: 'Kỳ báo cáo: tháng 08/2024 (từ ngày 09/08/2024 đến ngày 15/08/2024)' },
      7: { 1: '(Số liệu tính đến hết ngày 15/08/2024)' },
      8: { 1: 'Phạm vi: toàn quốc, theo BHXH tỉnh, thành phố', 15: 'Đơn vị tính: người' },
    });
    expect(texts(ws, [25, 26, 27])).toEqual({
      25: { 14: 'Hà Nội, ngày 15 tháng 8 năm 2024' },
      26: { 1: 'NGƯỜI LẬP BIỂU', 14: 'GIÁM ĐỐC' },
      27: { 1: '(Ký, ghi rõ họ tên)', 14: '(Ký, ghi rõ họ tên, đóng dấu)' },
    });
  });

  it("a province's report: from its office, for a week, by district, signed in its city", async () => {
    const ws = await sheet(report('79', 'week'));
    expect(texts(ws, [2, 6, 8])).toEqual({
      2: { 1: 'BẢO HIỂM XÃ HỘI THÀNH PHỐ HỒ CHÍ MINH' },
      6: { 1: 'Kỳ báo cáo: tuần từ ngày 09/08/2024 đến ngày 15/08/2024' },
      8: { 1: 'Phạm vi: BHXH THÀNH PHỐ HỒ CHÍ MINH, theo quận, huyện', 15: 'Đơn vị tính: người' },
    });
    expect(texts(ws, [25])).toEqual({ 25: { 14: 'Thành phố Hồ Chí Minh, ngày 15 tháng 8 năm 2024' } });
  });

  it("a district office's report: from that office, under its province's, signed in its district", async () => {
    const ws = await sheet({ ...report('79', 'week'), within: { kind: 'district', maTinh: '79', maHuyen: '760' } });
    expect(texts(ws, [1, 2, 8])).toEqual({
      1: { 1: 'BẢO HIỂM XÃ HỘI THÀNH PHỐ HỒ CHÍ MINH', 16: 'Mẫu số 03' },
      2: { 1: 'BẢO HIỂM XÃ HỘI QUẬN 1' },
      8: { 1: 'Phạm vi: Quận 1 (760), BHXH THÀNH PHỐ HỒ CHÍ MINH', 15: 'Đơn vị tính: người' },
    });
    expect(texts(ws, [25])).toEqual({ 25: { 14: 'Quận 1, ngày 15 tháng 8 năm 2024' } });
    // a district code not in the reference list: named by its code, signed in the province
    const unknown = await sheet({ ...report('79', 'week'), within: { kind: 'district', maTinh: '79', maHuyen: '999' } });
    expect(texts(unknown, [2, 25])).toEqual({ 2: { 1: 'BẢO HIỂM XÃ HỘI QUẬN, HUYỆN (MÃ 999)' }, 25: { 14: 'Thành phố Hồ Chí Minh, ngày 15 tháng 8 năm 2024' } });
  });

  it("a unit's own report: signed by the unit's head, as its Mẫu 02", async () => {
    const ws = await sheet({ ...report('79', 'week'), within: { kind: 'unit', maDonVi: 'DV0790001', tenDonVi: 'Công ty Sao Mai', maTinh: '79' } });
    expect(texts(ws, [2, 26])).toEqual({ 2: { 1: 'CÔNG TY SAO MAI' }, 26: { 1: 'NGƯỜI LẬP BIỂU', 14: 'THỦ TRƯỞNG ĐƠN VỊ' } });
  });

  it('merges the blocks of the head, the notes and the signatures, and nothing else', async () => {
    const ws = await sheet(report(null, 'month'));
    expect(merges(ws)).toEqual([
      'A1:D1', 'P1:R1', 'A2:D2', 'A3:D3', 'A5:R5', 'A6:R6', 'A7:R7', 'A8:N8', 'O8:R8',
      'D10:J10', 'K10:M10', 'N10:Q10', 'A10:A12', 'B10:B12', 'C10:C12', 'D11:F11', 'O11:Q11', 'R10:R12',
      'G11:G12', 'H11:H12', 'I11:I12', 'J11:J12', 'K11:K12', 'L11:L12', 'M11:M12', 'N11:N12',
      'A18:R18', 'A19:R19', 'A20:R20', 'A21:R21', 'A22:R22', 'A23:R23', 'N25:R25', 'A26:D26', 'N26:R26', 'A27:D27', 'N27:R27',
    ]);
    expect(texts(ws, [13])[13]).toEqual(Object.fromEntries(Array.from({ length: 18 }, (_, i) => [i + 1, `(${i + 1})`])));
    expect(texts(ws, [18])[18]).toEqual({ 1: 'Ghi chú:' });
  });

  it('repeats the column head on every printed page, keeps it and the names in view, and names its maker', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await mau03Bytes(report(null, 'month'))) as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect(wb.creator).toBe('ddcn');
    expect(ws.name).toBe('Mẫu 03');
    expect(ws.pageSetup.printTitlesRow).toBe('10:13');
    expect(ws.views).toEqual([expect.objectContaining({ state: 'frozen', xSplit: 2, ySplit: 13 })]);
  });

  it('makes each row as tall as its wrapped text needs, and no taller', async () => {
    // The same heights the print test finds sufficient (test/unit/print-layout.test.ts): the title on one line;
    // head row 1 for its two-line blocks; row 3 grown for the cells over rows 2–3 whose text wraps in a narrow
    // column ("Trùng mã (số ĐDCN gắn với mã số BHXH khác)", 7 characters wide); the notes one line each but the
    // third, on two.
    const ws = await sheet(report(null, 'month'));
    const heights = (rows: number[]) => rows.map((r) => ws.getRow(r).height);
    expect(heights([5, 10, 11, 12])).toEqual([22, 49, 20, 104]);
    // The rows: as their assessment prints in column (18), laid out by the font's widths (serif-lines.ts): "Đạt mốc
    // …" on one line, the second row's "Chậm tiến độ: chưa đạt mốc …" on two.
    expect(heights([14, 15, 16])).toEqual([19, 34, 19]);
    expect(heights([19, 20, 21, 22, 23])).toEqual([19, 19, 34, 19, 19]);
  });
});

describe('Mẫu 03, the rows', () => {
  it('numbers the rows from 1, writes the total unnumbered and in bold, counts and rates in their own formats', async () => {
    const ws = await sheet(report(null, 'month', [row('A', 1000, 900), row('B', 10, 0), row('C', 50, 50)]));
    expect([14, 15, 16, 17].map((r) => [ws.getCell(r, 1).value, ws.getCell(r, 2).value])).toEqual([[1, 'A'], [2, 'B'], [3, 'C'], [null, 'Tổng cộng']]);
    const look = (r: number, c: number) => ({ bold: Boolean(ws.getCell(r, c).font?.bold), numFmt: ws.getCell(r, c).numFmt ?? null });
    // Body: Stt centred, the name as text, not bold; a count (col 3), a rate (col 5).
    expect([look(14, 1), look(14, 2), look(14, 3), look(14, 5), look(14, 16)]).toEqual([
      { bold: false, numFmt: null }, { bold: false, numFmt: '@' }, { bold: false, numFmt: '#,##0' }, { bold: false, numFmt: '0.0%' }, { bold: false, numFmt: '0.0%' },
    ]);
    expect(ws.getCell(14, 1).alignment?.horizontal).toBe('center');
    // The total row: all bold, same formats.
    expect([look(17, 1), look(17, 2), look(17, 3), look(17, 5), look(17, 16)]).toEqual([
      { bold: true, numFmt: null }, { bold: true, numFmt: null }, { bold: true, numFmt: '#,##0' }, { bold: true, numFmt: '0.0%' }, { bold: true, numFmt: '0.0%' },
    ]);
    expect(ws.getCell(17, 1).fill).toMatchObject({ fgColor: { argb: 'FFF2F2F2' } });
    expect(ws.getCell(14, 1).fill).not.toMatchObject({ fgColor: { argb: 'FFF2F2F2' } });
  });

  it('holds each rate rounded down to what its format shows: 1 999 of 2 000 prints 99.9 %, not 100.0 %', async () => {
    const ws = await sheet(report('031', 'week', [row('A', 2000, 1999), row('B', 3, 2)]));
    expect([ws.getCell(14, 5).value, ws.getCell(15, 5).value]).toEqual([0.999, 0.666]);
    expect(ws.getCell(14, 16).value).toBe(0.617); // a rate already at a tenth stays as it is
  });
});
