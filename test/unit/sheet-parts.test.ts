// The worksheet XML around the rows, for frames the forms of today do not use (the forms all freeze rows and
// columns, fit to a page, set margins): a form added tomorrow — a list without frozen columns, a report printed
// unfitted — must still get a sheet Excel opens as meant. Found by mutation testing: these branches were reached by
// no test.
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type ExcelJS from 'exceljs';
import { cellXml, sheetEnd, sheetStart, type SheetFrame } from '../../src/reports/xlsx/sheet-parts.js';
import { SharedStrings } from '../../src/reports/xlsx/shared-strings.js';
import { packageParts } from '../../src/reports/xlsx/package-parts.js';
import { columnLetter } from '../../src/reports/list-form.js';

const frame = (over: Partial<SheetFrame> = {}): SheetFrame => ({
  widths: [6, 30],
  frozenColumns: 0,
  frozenRows: 0,
  page: {},
  footer: '&CTrang &P/&N',
  ...over,
});

const pane = (xml: string) => /<sheetView [^>]*>(.*)<\/sheetView>/.exec(xml)![1];

describe('the worksheet XML before the rows', () => {
  it('freezes nothing when the frame keeps nothing in view', () => {
    expect(pane(sheetStart(frame()))).toBe('');
  });

  it('freezes rows only, columns only, or both, with the pane Excel expects for each', () => {
    expect(pane(sheetStart(frame({ frozenRows: 3 })))).toBe(
      '<pane ySplit="3" topLeftCell="A4" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/>',
    );
    expect(pane(sheetStart(frame({ frozenColumns: 2 })))).toBe(
      '<pane xSplit="2" topLeftCell="C1" activePane="topRight" state="frozen"/><selection pane="topRight"/>',
    );
    expect(pane(sheetStart(frame({ frozenColumns: 2, frozenRows: 3 })))).toBe(
      '<pane xSplit="2" ySplit="3" topLeftCell="C4" activePane="bottomRight" state="frozen"/><selection pane="bottomRight"/>',
    );
  });

  it('asks to fit the page only when the frame says so, and gives every column its width', () => {
    expect(sheetStart(frame())).toMatch(/<worksheet [^>]*><sheetViews>/);
    expect(sheetStart(frame({ page: { fitToPage: true } }))).toContain(
      '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>',
    );
    expect(sheetStart(frame())).toContain(
      '<cols><col min="1" max="1" width="6" customWidth="1"/><col min="2" max="2" width="30" customWidth="1"/></cols><sheetData>',
    );
  });

  it('writes a cell that is not a finite number as an empty cell, never NaN or Infinity', () => {
    const strings = new SharedStrings();
    expect(cellXml('B2', 3, Number.NaN, strings)).toBe('<c r="B2" s="3"/>');
    expect(cellXml('B2', 3, Number.POSITIVE_INFINITY, strings)).toBe('<c r="B2" s="3"/>');
    expect(cellXml('B2', 3, 12.5, strings)).toBe('<c r="B2" s="3"><v>12.5</v></c>');
  });
});

describe('the worksheet XML after the rows', () => {
  it('writes only what the page setup gives: no margins, no centring, no paper size or fitting when not set', () => {
    expect(sheetEnd(frame(), [], [])).toBe(
      '</sheetData><pageSetup/><headerFooter><oddFooter>&amp;CTrang &amp;P/&amp;N</oddFooter></headerFooter></worksheet>',
    );
  });

  it('breaks the page by hand under the rows given, across every column, last as the schema orders it', () => {
    expect(sheetEnd(frame(), [], [], [20])).toBe(
      '</sheetData><pageSetup/><headerFooter><oddFooter>&amp;CTrang &amp;P/&amp;N</oddFooter></headerFooter>' +
        '<rowBreaks count="1" manualBreakCount="1"><brk id="20" max="16383" man="1"/></rowBreaks></worksheet>',
    );
  });

  it('centres the print vertically alone, or horizontally alone', () => {
    expect(sheetEnd(frame({ page: { verticalCentered: true } }), [], [])).toContain(
      '<printOptions verticalCentered="1"/>',
    );
    expect(sheetEnd(frame({ page: { horizontalCentered: true } }), [], [])).toContain(
      '<printOptions horizontalCentered="1"/>',
    );
  });

  it('writes the page setup and margins that are set', () => {
    const margins = { left: 0.3, right: 0.3, top: 0.5, bottom: 0.5, header: 0.2, footer: 0.2 };
    const xml = sheetEnd(
      frame({ page: { margins, paperSize: 9, orientation: 'landscape', fitToWidth: 1, fitToHeight: 0 } }),
      [],
      [],
    );
    expect(xml).toContain('<pageMargins left="0.3" right="0.3" top="0.5" bottom="0.5" header="0.2" footer="0.2"/>');
    expect(xml).toContain('<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>');
  });

  it('writes an input rule with its operator, its flags and its texts only where set (non-ASCII as character references), and at most two formulas', () => {
    const lessThan: ExcelJS.DataValidation = {
      type: 'whole',
      operator: 'lessThan',
      allowBlank: true,
      showErrorMessage: true,
      error: 'Nhập số <100 & >0',
      formulae: [100, 0, 7],
    };
    expect(sheetEnd(frame(), [], [['J5:J9', lessThan]])).toContain(
      '<dataValidations count="1"><dataValidation type="whole" operator="lessThan" allowBlank="1" showErrorMessage="1"' +
        ' error="Nh&#7853;p s&#7889; &lt;100 &amp; &gt;0" sqref="J5:J9"><formula1>100</formula1><formula2>0</formula2></dataValidation></dataValidations>',
    );
    const between: ExcelJS.DataValidation = {
      type: 'textLength',
      operator: 'between',
      formulae: undefined as unknown as [],
    };
    expect(sheetEnd(frame(), [], [['K5', between]])).toContain(
      '<dataValidation type="textLength" sqref="K5"></dataValidation>',
    );
  });
});

describe('column letters', () => {
  it('count as Excel does past Z (the forms of today stop at column T)', () => {
    expect([1, 20, 25, 26, 27, 52, 53, 702, 703].map(columnLetter)).toEqual(['A', 'T', 'Y', 'Z', 'AA', 'AZ', 'BA', 'ZZ', 'AAA']);
  });
});

describe('the string table', () => {
  const xmlOf = (e: { data: Buffer[] }) => inflateRawSync(Buffer.concat(e.data)).toString('utf8');

  it('gives a string met lately its index again, and a forgotten one a new entry, in order', () => {
    const strings = new SharedStrings(2);
    expect([strings.id('a'), strings.id('a'), strings.id('b'), strings.id('a')]).toEqual([0, 0, 1, 0]);
    // Two remembered: a third forgets them all, then is remembered itself.
    expect([strings.id('c'), strings.id('c'), strings.id('a'), strings.id('c')]).toEqual([2, 2, 3, 2]);
    const entry = strings.finish();
    expect(entry.name).toBe('xl/sharedStrings.xml');
    expect(xmlOf(entry)).toBe(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
        '<si><t>a</t></si><si><t>b</t></si><si><t>c</t></si><si><t>a</t></si></sst>',
    );
  });

  it('compresses the table in pieces as it grows, into one valid part', () => {
    const strings = new SharedStrings();
    const many = Array.from({ length: 40_000 }, (_, i) => `Nguyen Thi Nguoi Thu ${i} o mot noi rat xa`);
    for (const s of many) strings.id(s);
    const entry = strings.finish();
    expect(entry.data.length).toBeGreaterThan(4);
    const xml = xmlOf(entry);
    expect(entry.size).toBe(Buffer.byteLength(xml));
    const texts = [...xml.matchAll(/<si><t>([^<]*)<\/t><\/si>/g)].map((m) => m[1]);
    expect(texts).toEqual(many);
  });
});

describe('the workbook around the sheet', () => {
  it("quotes a sheet name with an apostrophe in the print titles, as Excel writes it (O'Brien → 'O''Brien')", () => {
    const parts = packageParts("Danh sach O'Brien", '11:14', new Date('2024-06-03T01:30:00Z'));
    const workbook = parts.find((p) => p.name === 'xl/workbook.xml')!;
    const xml = inflateRawSync(Buffer.concat(workbook.data)).toString('utf8');
    expect(xml).toContain('<sheet name="Danh sach O\'Brien" sheetId="1" r:id="rId1"/>');
    expect(xml).toContain('<definedName name="_xlnm.Print_Titles" localSheetId="0">\'Danh sach O\'\'Brien\'!$11:$14</definedName>');
  });
});
