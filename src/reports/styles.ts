// Cell styles of the printed forms, in exceljs's terms. Mẫu 03 hands them to exceljs, which reuses the style id
// of an object it has seen; the list files get them as fixed ids in a styles.xml built once (xlsx/styles-xml.ts).
import type ExcelJS from 'exceljs';

type Style = Partial<ExcelJS.Style>;

const FONT = 'Times New Roman';
const thin: ExcelJS.Border = { style: 'thin', color: { argb: 'FF000000' } };
const BORDER: Partial<ExcelJS.Borders> = { top: thin, left: thin, bottom: thin, right: thin };
const font = (size: number, extra: Partial<ExcelJS.Font> = {}): Partial<ExcelJS.Font> => ({ name: FONT, size, ...extra });
const solid = (argb: string): ExcelJS.Fill => ({ type: 'pattern', pattern: 'solid', fgColor: { argb } });

/** `@`: Excel keeps what is typed as text (leading zeros, 12 digits, a leading `=`), not as a number or formula. */
export const TEXT_FORMAT = '@';

const CENTER: Partial<ExcelJS.Alignment> = { horizontal: 'center', vertical: 'middle', wrapText: true };
const LEFT: Partial<ExcelJS.Alignment> = { horizontal: 'left', vertical: 'middle', wrapText: true };

export const S = {
  office: { font: font(11), alignment: CENTER } as Style,
  officeBold: { font: font(11, { bold: true }), alignment: CENTER } as Style,
  formNo: { font: font(11, { bold: true }), alignment: { horizontal: 'right', vertical: 'middle' } } as Style,
  title: { font: font(13, { bold: true }), alignment: CENTER } as Style,
  subtitle: { font: font(11, { italic: true }), alignment: CENTER } as Style,
  // Wrapped: a branch's full name or an address in an industrial park runs past one line (list-layout.ts topBlock).
  unitLine: { font: font(12), alignment: { horizontal: 'left', vertical: 'middle', wrapText: true }, numFmt: TEXT_FORMAT } as Style,
  head: { font: font(11, { bold: true }), alignment: CENTER, border: BORDER, fill: solid('FFF2F2F2') } as Style,
  headInput: { font: font(11, { bold: true }), alignment: CENTER, border: BORDER, fill: solid('FFFFF2CC') } as Style,
  // 11 pt, not 10: the forms are scaled to fit A4 landscape (about 0.86), and nothing may print under 9 pt.
  numbered: { font: font(11, { italic: true }), alignment: CENTER, border: BORDER } as Style,
  // table body
  center: { font: font(11), alignment: CENTER, border: BORDER } as Style,
  // The row number in a column of 4: shrunk from 1 000 on (a unit of a thousand people and more), where Excel and
  // LibreOffice would print ### for a number wider than its column.
  stt: { font: font(11), alignment: { horizontal: 'center', vertical: 'middle', shrinkToFit: true }, border: BORDER } as Style,
  code: { font: font(11), alignment: CENTER, border: BORDER, numFmt: TEXT_FORMAT } as Style,
  text: { font: font(11), alignment: LEFT, border: BORDER, numFmt: TEXT_FORMAT } as Style,
  small: { font: font(10), alignment: LEFT, border: BORDER, numFmt: TEXT_FORMAT } as Style,
  input: { font: font(11), alignment: LEFT, border: BORDER, numFmt: TEXT_FORMAT, fill: solid('FFFFF9E6') } as Style,
  count: { font: font(11), alignment: { horizontal: 'right', vertical: 'middle' }, border: BORDER, numFmt: '#,##0' } as Style,
  percent: { font: font(11), alignment: { horizontal: 'right', vertical: 'middle' }, border: BORDER, numFmt: '0.0%' } as Style,
  totalLabel: { font: font(11, { bold: true }), alignment: CENTER, border: BORDER, fill: solid('FFF2F2F2') } as Style,
  totalCount: { font: font(11, { bold: true }), alignment: { horizontal: 'right', vertical: 'middle' }, border: BORDER, numFmt: '#,##0', fill: solid('FFF2F2F2') } as Style,
  totalPercent: { font: font(11, { bold: true }), alignment: { horizontal: 'right', vertical: 'middle' }, border: BORDER, numFmt: '0.0%', fill: solid('FFF2F2F2') } as Style,
  totalText: { font: font(11, { bold: true }), alignment: LEFT, border: BORDER, fill: solid('FFF2F2F2') } as Style,
  good: { font: font(11, { color: { argb: 'FF006100' } }), alignment: LEFT, border: BORDER, fill: solid('FFC6EFCE') } as Style,
  onTrack: { font: font(11, { color: { argb: 'FF9C5700' } }), alignment: LEFT, border: BORDER, fill: solid('FFFFEB9C') } as Style,
  behind: { font: font(11, { color: { argb: 'FF9C0006' } }), alignment: LEFT, border: BORDER, fill: solid('FFFFC7CE') } as Style,
  // under the table
  noteTitle: { font: font(11, { bold: true, italic: true }), alignment: { horizontal: 'left', vertical: 'top' } } as Style,
  note: { font: font(11, { italic: true }), alignment: { horizontal: 'left', vertical: 'top', wrapText: true } } as Style,
  signDate: { font: font(11, { italic: true }), alignment: CENTER } as Style,
  signTitle: { font: font(11, { bold: true }), alignment: CENTER } as Style,
  signHint: { font: font(11, { italic: true }), alignment: CENTER } as Style,
} as const;

export type StyleName = keyof typeof S;

/** A4 landscape, all columns on one page width, narrow margins, page numbers in the footer. */
export function printSetup(printTitles: string): Partial<ExcelJS.PageSetup> {
  return {
    paperSize: 9, // A4
    orientation: 'landscape',
    fitToPage: true,
    fitToWidth: 1,
    fitToHeight: 0, // as many pages tall as needed
    horizontalCentered: true,
    margins: { left: 0.4, right: 0.4, top: 0.5, bottom: 0.6, header: 0.3, footer: 0.3 },
    printTitlesRow: printTitles,
  };
}

export const PAGE_FOOTER = { oddFooter: '&C&"Times New Roman,Italic"&10Trang &P/&N' };
