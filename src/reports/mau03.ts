// Mẫu số 03, our design (docs/plan-2207.md): progress of personal-number verification and VssID per province,
// or per district in a province report, for a week or a month, as of a date. Small, so written in one piece,
// which also allows conditional formatting: data bars on the two percentage columns.
import { rename, rm } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import type { HeadCell } from './list-form.js';
import { columnLetter } from './list-form.js';
import type { Assessment } from './milestones.js';
import { issuingOffices, officeBlockWidth, officeName, PARENT_OFFICE, placeName } from './office.js';
import { districtLabel } from './districts.js';
import { rateDown } from '../domain/rates.js';
import { lineHeight, lines, SIGNING_ROOM } from './list-layout.js';
import { serifLines } from './serif-lines.js';
import { pageRoom, TablePages } from './page-fit.js';
import { PAGE_FOOTER, printSetup, S } from './styles.js';
import { formatDate, placeDateLine, vnDate, type CalendarDate } from './vn-date.js';
import { cannotWrite, fileSystemError } from '../errors.js';

export const MAU03_TITLE = 'BÁO CÁO TIẾN ĐỘ CẬP NHẬT SỐ ĐDCN/CCCD VÀ CÀI ĐẶT, PHÊ DUYỆT, SỬ DỤNG ỨNG DỤNG VssID';

export interface ProgressRow {
  label: string;
  total: number;
  matched: number;
  matchedRate: number | null; // fraction of total
  matchedIncrease: number;
  mismatched: number;
  missing: number;
  conflict: number;
  pending: number;
  corrected: number;
  rematched: number;
  escalated: number;
  target: number | null;
  vssid: number;
  vssidRate: number | null; // fraction of target
  vssidIncrease: number;
  assessment: Assessment;
}

/**
 * A report narrower than one province: the portal's district and unit accounts. `ddcn report progress` makes
 * national and province reports only, without it.
 */
export type ReportWithin =
  | { kind: 'district'; maTinh: string; maHuyen: string }
  | { kind: 'unit'; maDonVi: string; tenDonVi: string; maTinh: string | null };

export interface ProgressReport {
  province: string | null; // null: national report
  within?: ReportWithin;
  period: 'week' | 'month';
  from: CalendarDate;
  asOf: CalendarDate;
  issuedAt: Date;
  rows: ProgressRow[];
  total: ProgressRow;
}

type Kind = 'count' | 'percent' | 'label' | 'stt' | 'assessment';
/**
 * Widths in characters of the default font. Fit to the width of A4 landscape, the sheet is scaled by about
 * 1046 px / (7 px × Σ widths + 5 px a column); at Σ 158 that is 0.87, so the 11 pt text prints at 9.6 pt. (The
 * earlier widths, Σ 238, printed at 6.7 pt.) Counts up to 10 million fit in 9, rates and increases in 7; the
 * labels and the assessment wrap, and their rows are made as tall as the wrapped text.
 */
const COLUMNS: Array<{ width: number; kind: Kind; value?: (r: ProgressRow) => number | null }> = [
  { width: 4, kind: 'stt' },
  { width: 20, kind: 'label' },
  { width: 10, kind: 'count', value: (r) => r.total },
  { width: 9, kind: 'count', value: (r) => r.matched },
  { width: 7, kind: 'percent', value: (r) => r.matchedRate },
  { width: 7, kind: 'count', value: (r) => r.matchedIncrease },
  { width: 7, kind: 'count', value: (r) => r.mismatched },
  { width: 7, kind: 'count', value: (r) => r.missing },
  { width: 7, kind: 'count', value: (r) => r.conflict },
  { width: 7, kind: 'count', value: (r) => r.pending },
  { width: 7, kind: 'count', value: (r) => r.corrected },
  { width: 7, kind: 'count', value: (r) => r.rematched },
  { width: 7, kind: 'count', value: (r) => r.escalated },
  { width: 9, kind: 'count', value: (r) => r.target },
  { width: 9, kind: 'count', value: (r) => r.vssid },
  { width: 7, kind: 'percent', value: (r) => r.vssidRate },
  { width: 7, kind: 'count', value: (r) => r.vssidIncrease },
  { width: 27, kind: 'assessment' },
];

/** Every font of the sheet at least this size, so that at the fit-to-width scale it prints at 9 pt or more. */
const MIN_FONT = 11;
const atLeast = (style: Partial<ExcelJS.Style>): Partial<ExcelJS.Style> =>
  // Stryker disable next-line ConditionalExpression,EqualityOperator,LogicalOperator,OptionalChaining: no style Mẫu 03 uses is under 11 pt (the guard keeps a future one printable)
  (style.font?.size ?? 11) >= MIN_FONT ? style : { ...style, font: { ...style.font, size: MIN_FONT } };
const widthOf = (from: number, cols: number) => COLUMNS.slice(from - 1, from - 1 + cols).reduce((s, c) => s + c.width, 0);
/** Height in points of `text` wrapped in `width` characters at `size` pt (never below one line of 15 pt). */
const heightFor = (text: string, width: number, size = 11, padding = 4) =>
  Math.max(15, lines(text, (width * 11) / size) * lineHeight(size) + padding);

const HEAD: HeadCell[] = [
  { row: 0, col: 1, rows: 3, text: 'Stt' },
  { row: 0, col: 2, rows: 3, text: 'Đơn vị' },
  { row: 0, col: 3, rows: 3, text: 'Tổng số người tham gia' },
  { row: 0, col: 4, cols: 7, text: 'Cập nhật, xác thực số ĐDCN/CCCD với CSDL quốc gia về dân cư' },
  { row: 0, col: 11, cols: 3, text: 'Điều chỉnh theo Mẫu số 02 đơn vị gửi lại' },
  { row: 0, col: 14, cols: 4, text: 'Ứng dụng VssID' },
  { row: 0, col: 18, rows: 3, text: 'Đánh giá tiến độ' },
  { row: 1, col: 4, cols: 3, text: 'Đã xác thực khớp' },
  { row: 1, col: 7, rows: 2, text: 'Chưa khớp' },
  { row: 1, col: 8, rows: 2, text: 'Chưa có số ĐDCN' },
  { row: 1, col: 9, rows: 2, text: 'Trùng mã (số ĐDCN gắn với mã số BHXH khác)' },
  { row: 1, col: 10, rows: 2, text: 'Chưa xác thực' },
  { row: 1, col: 11, rows: 2, text: 'Đã nhận điều chỉnh' },
  { row: 1, col: 12, rows: 2, text: 'Xác thực lại khớp' },
  { row: 1, col: 13, rows: 2, text: 'Chuyển TT CNTT hỗ trợ' },
  { row: 1, col: 14, rows: 2, text: 'Chỉ tiêu VssID' },
  { row: 1, col: 15, cols: 3, text: 'Đã đăng ký VssID' },
  { row: 2, col: 4, text: 'Số người' },
  { row: 2, col: 5, text: 'Tỷ lệ (%)' },
  { row: 2, col: 6, text: 'Tăng trong kỳ' },
  { row: 2, col: 15, text: 'Số người' },
  { row: 2, col: 16, text: 'Tỷ lệ (%) so với chỉ tiêu' },
  { row: 2, col: 17, text: 'Tăng trong kỳ' },
];

const NOTES = [
  '- Cột (4) đến cột (10): tình trạng xác thực với CSDL quốc gia về dân cư tính đến hết ngày báo cáo; cột (3) = (4) + (7) + (8) + (9) + (10).',
  '- Cột (5) = (4) / (3). Cột (6), (17): số tăng (giảm nếu âm) so với đầu kỳ báo cáo.',
  '- Cột (11): người tham gia đã được cập nhật thông tin theo Mẫu số 02 đơn vị gửi lại; cột (12): trong đó đã xác thực lại khớp; ' +
    'cột (13): đã xác thực lại nhưng vẫn chưa khớp, có trong danh sách đề nghị TT CNTT hỗ trợ.',
  '- Cột (14): chỉ tiêu tài khoản VssID được giao (Phụ lục 03); cột (16) = (15) / (14).',
  '- Cột (18): tỷ lệ cột (5) so với mốc tiến độ 60% đến 30/6, 80% đến 30/9, 100% đến 31/12.',
];

const LEVEL_STYLE = { good: S.good, onTrack: S.onTrack, behind: S.behind, none: S.text } as const;

function periodLine(r: ProgressReport): string {
  const range = `từ ngày ${formatDate(r.from)} đến ngày ${formatDate(r.asOf)}`;
  if (r.period === 'week') return `Kỳ báo cáo: tuần ${range}`;
  return `Kỳ báo cáo: tháng ${String(r.asOf.month).padStart(2, '0')}/${r.asOf.year} (${range})`;
}

function put(ws: ExcelJS.Worksheet, row: number, col: number, value: ExcelJS.CellValue, style: Partial<ExcelJS.Style>, cols = 1, rows = 1): void {
  const cell = ws.getCell(row, col);
  cell.value = value;
  cell.style = atLeast(style);
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a block of one cell merged with itself: exceljs records no merge for it
  if (cols > 1 || rows > 1) ws.mergeCells(row, col, row + rows - 1, col + cols - 1);
}

/** Writes the report to `file` (through a temporary name, so a file under the final name is always whole). */
export async function writeMau03(file: string, report: ProgressReport): Promise<void> {
  const wb = mau03Workbook(report);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await wb.xlsx.writeFile(tmp);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw fileSystemError(err) ? cannotWrite(file, err) : err;
  }
}

/** The same workbook as writeMau03's, as bytes (the portal's download: nothing written to disk). */
export async function mau03Bytes(report: ProgressReport): Promise<Buffer> {
  return Buffer.from(await mau03Workbook(report).xlsx.writeBuffer());
}

/** What the report covers, as its "Phạm vi:" line says (and the portal's dashboard). */
export function reportScope(report: ProgressReport): string {
  const w = report.within;
  if (w?.kind === 'unit') return `đơn vị ${w.maDonVi}${w.tenDonVi ? ` — ${w.tenDonVi}` : ''}`;
  if (w?.kind === 'district') return `${districtLabel(w.maTinh, w.maHuyen)}, ${officeName(w.maTinh).replace('BẢO HIỂM XÃ HỘI', 'BHXH')}`;
  return report.province === null ? 'toàn quốc, theo BHXH tỉnh, thành phố' : `${officeName(report.province).replace('BẢO HIỂM XÃ HỘI', 'BHXH')}, theo quận, huyện`;
}

/** The two lines at the top left: the office above, and the one the report is of. */
function issuers(report: ProgressReport): [string, string] {
  const w = report.within;
  if (w?.kind === 'unit') return [w.maTinh ? officeName(w.maTinh) : PARENT_OFFICE, (w.tenDonVi || `Đơn vị ${w.maDonVi}`).toLocaleUpperCase('vi')];
  if (w?.kind === 'district') return issuingOffices(w.maTinh, w.maHuyen);
  return report.province === null ? [PARENT_OFFICE, 'TRUNG TÂM CÔNG NGHỆ THÔNG TIN'] : issuingOffices(report.province);
}

function mau03Workbook(report: ProgressReport): ExcelJS.Workbook {
  const n = COLUMNS.length;
  const headTop = 10;
  const numbered = headTop + 3;
  const first = numbered + 1;
  const wb = new ExcelJS.Workbook();
  wb.creator = 'ddcn';
  wb.created = report.issuedAt;
  const ws = wb.addWorksheet('Mẫu 03', {
    pageSetup: printSetup(`${headTop}:${numbered}`),
    views: [{ state: 'frozen', xSplit: 2, ySplit: numbered }],
    headerFooter: PAGE_FOOTER,
  });
  ws.columns = COLUMNS.map((c) => ({ width: c.width }));

  const [parent, office] = issuers(report);
  // As on the lists (list-layout.ts topBlock): the columns from the left that hold the office lines on one line each.
  const need = officeBlockWidth(parent, office);
  const officeCols = Math.min(n - 3, COLUMNS.findIndex((_, i) => widthOf(1, i + 1) >= need) + 1 || n - 3);
  put(ws, 1, 1, parent, S.office, officeCols);
  put(ws, 2, 1, office, S.officeBold, officeCols);
  put(ws, 3, 1, '――――――――', S.office, officeCols);
  put(ws, 1, n - 2, 'Mẫu số 03', S.formNo, 3);
  put(ws, 5, 1, MAU03_TITLE, S.title, n);
  // Stryker disable next-line ArithmeticOperator: the title fits one line either way: the same height
  ws.getRow(5).height = heightFor(MAU03_TITLE, widthOf(1, n) * 0.9, 13);
  put(ws, 6, 1, periodLine(report), S.subtitle, n);
  put(ws, 7, 1, `(Số liệu tính đến hết ngày ${formatDate(report.asOf)})`, S.subtitle, n);
  put(ws, 8, 1, `Phạm vi: ${reportScope(report)}`, S.unitLine, n - 4);
  put(ws, 8, n - 3, 'Đơn vị tính: người', S.formNo, 4);

  for (const h of HEAD) put(ws, headTop + h.row, h.col, h.text, S.head, h.cols ?? 1, h.rows ?? 1);
  // Each head row as tall as its tallest one-row cell; a cell over several rows gets their sum, and the last of
  // its rows grows when that is not enough.
  const headHeights = [0, 1, 2].map((r) =>
    Math.max(20, ...HEAD.filter((h) => h.row === r && (h.rows ?? 1) === 1).map((h) => heightFor(h.text, widthOf(h.col, h.cols ?? 1)))),
  );
  // Stryker disable next-line MethodExpression,ConditionalExpression,EqualityOperator: a one-row head cell's row is already as tall as it needs (the loop above): it adds nothing
  for (const h of HEAD.filter((x) => (x.rows ?? 1) > 1)) {
    const rows = h.rows!;
    const have = headHeights.slice(h.row, h.row + rows).reduce((a, b) => a + b, 0);
    const need = heightFor(h.text, widthOf(h.col, h.cols ?? 1));
    // Stryker disable next-line EqualityOperator: need = have adds 0
    if (need > have) headHeights[h.row + rows - 1]! += need - have;
  }
  headHeights.forEach((height, r) => (ws.getRow(headTop + r).height = height));
  for (let c = 1; c <= n; c++) put(ws, numbered, c, `(${c})`, S.numbered);

  const writeRow = (r: number, row: ProgressRow, stt: number | null) => {
    const isTotal = stt === null;
    // As tall as its wrapped text (the unit's name, the assessment), so that no line runs into the next row.
    // The assessment is one of a few sentences, in the regular font: laid out by the font's widths (serif-lines.ts),
    // where the count of characters gave most rows a line more than they print on.
    const assessment = serifLines(row.assessment.text, COLUMNS[17]!.width, 11) * lineHeight(11) + 4;
    ws.getRow(r).height = Math.max(heightFor(row.label, COLUMNS[1]!.width), assessment);
    COLUMNS.forEach((c, i) => {
      const cell = ws.getCell(r, i + 1);
      if (c.kind === 'stt') {
        cell.value = stt;
        cell.style = isTotal ? S.totalLabel : S.center;
      } else if (c.kind === 'label') {
        cell.value = row.label;
        cell.style = isTotal ? S.totalText : S.text;
      } else if (c.kind === 'assessment') {
        cell.value = row.assessment.text;
        cell.style = LEVEL_STYLE[row.assessment.level];
      } else {
        const value = c.value!(row);
        // The cell holds the rate rounded down to what its format shows (0.0%): 0.9995 would display 100.0%. No
        // figure (no target, so no rate against it; no one, so no rate) is a dash, as on the portal's dashboard: an
        // empty cell reads as a figure forgotten.
        cell.value = value === null ? '–' : c.kind === 'percent' ? rateDown(value) : value;
        cell.style = c.kind === 'percent' ? (isTotal ? S.totalPercent : S.percent) : isTotal ? S.totalCount : S.count;
      }
      cell.style = atLeast(cell.style);
    });
  };
  report.rows.forEach((row, i) => writeRow(first + i, row, i + 1));
  const totalRow = first + report.rows.length;
  writeRow(totalRow, report.total, null);

  // Data bars on the percentage columns: how far each unit has come, at a glance. Pale colours, so that the
  // figure written over the bar stays readable on screen and on paper.
  const last = Math.max(first, totalRow - 1);
  for (const [col, argb] of [[5, 'FFB8E0C2'], [16, 'FFBDD3EE']] as const) {
    const letter = columnLetter(col);
    ws.addConditionalFormatting({
      ref: `${letter}${first}:${letter}${last}`,
      rules: [
        {
          type: 'dataBar', priority: col, gradient: false, minLength: 0, maxLength: 100,
          cfvo: [{ type: 'num', value: 0 }, { type: 'num', value: 1 }],
          color: { argb },
        } as ExcelJS.DataBarRuleType & { color: { argb: string } },
      ],
    });
  }

  // The blank rows between the table, the notes and the signatures a little lower than a line (10 pt): a report of one
  // row then prints on one page, where its title, head and row were alone on page 1 and the rest on page 2.
  ws.getRow(totalRow + 1).height = SPACER;
  let r = totalRow + 2;
  put(ws, r++, 1, 'Ghi chú:', S.noteTitle, n);
  for (const note of NOTES) {
    put(ws, r, 1, note, S.note, n);
    ws.getRow(r++).height = heightFor(note, widthOf(1, n));
  }
  ws.getRow(r++).height = SPACER;
  const w = report.within;
  const place = w?.kind === 'unit' ? placeName(w.maTinh) : w?.kind === 'district' ? placeName(w.maTinh, w.maHuyen) : report.province === null ? 'Hà Nội' : placeName(report.province);
  const dateLine = placeDateLine(place, vnDate(report.issuedAt));
  // The last five columns, or more for a long place (`Thành phố Phan Rang-Tháp Chàm, ngày …`): the line on one line.
  let right = 5;
  while (right < n - 4 && widthOf(n - right + 1, right) < dateLine.length + 2) right += 1;
  const at = n - right + 1;
  put(ws, r++, at, dateLine, S.signDate, right);
  put(ws, r, 1, 'NGƯỜI LẬP BIỂU', S.signTitle, 4);
  // A unit's own report (the portal's unit accounts) is signed by its head, as its Mẫu 02 is; an office's by its director.
  put(ws, r++, at, w?.kind === 'unit' ? 'THỦ TRƯỞNG ĐƠN VỊ' : 'GIÁM ĐỐC', S.signTitle, right);
  put(ws, r, 1, '(Ký, ghi rõ họ tên)', S.signHint, 4);
  put(ws, r++, at, '(Ký, ghi rõ họ tên, đóng dấu)', S.signHint, right);
  ws.getRow(r).height = SIGNING_ROOM; // room to sign and stamp, as on the lists
  keepSignaturesWithTable(ws, { headTop, first, totalRow, hints: r - 1 });
  return wb;
}

/** Points of the blank rows around the notes (writeMau03). */
const SPACER = 10;

/**
 * A page break before the signatures' page (page-fit.ts), so that the notes and signatures print together with the
 * last rows of the table, never on a page of their own. Rows `first`…`totalRow` are the table's; `hints` the
 * signers' hints, above the room to sign.
 */
function keepSignaturesWithTable(ws: ExcelJS.Worksheet, rows: { headTop: number; first: number; totalRow: number; hints: number }): void {
  const points = (from: number, to: number) => {
    let sum = 0;
    for (let r = from; r <= to; r++) sum += ws.getRow(r).height ?? 15;
    return sum;
  };
  const pages = new TablePages(pageRoom(COLUMNS.map((c) => c.width), ws.pageSetup), points(1, rows.first - 1), points(rows.headTop, rows.first - 1));
  for (let r = rows.first; r <= rows.totalRow; r++) pages.add(points(r, r));
  const before = pages.breakBefore(points(rows.totalRow + 1, rows.hints));
  // Under the row above that one, across every column (exceljs would write its own maximum, 16838, past Excel's 16384).
  if (before !== null) ws.getRow(rows.first + before - 2).addPageBreak(1, 16384);
}
