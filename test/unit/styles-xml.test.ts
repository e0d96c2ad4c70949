// styles.xml of the list files, for styles today's forms do not use (italic, underline, a fill without a colour,
// a border on some sides, formats of their own): a style added to styles.ts tomorrow must come out in the file as
// written there. Found by mutation testing: these branches were reached by no test.
import { describe, expect, it } from 'vitest';
import { STYLE_ID, STYLES_XML, styleSheet } from '../../src/reports/xlsx/styles-xml.js';

const part = (xml: string, tag: string) => new RegExp(`<${tag} count="(\\d+)">(.*?)</${tag}>`).exec(xml)!.slice(1);

describe('styles.xml of the list files', () => {
  it('writes fonts with what each style sets, size 11 and Calibri when it sets neither', () => {
    const { xml, ids } = styleSheet({
      note: { font: { italic: true, underline: true, color: { argb: 'FF0000FF' } } },
      head: { font: { bold: true, size: 13, name: 'Times New Roman' } },
    });
    const [count, fonts] = part(xml, 'fonts');
    expect(count).toBe('3');
    expect(fonts).toBe(
      '<font><sz val="11"/><name val="Calibri"/></font>' +
        '<font><i/><u/><sz val="11"/><color rgb="FF0000FF"/><name val="Calibri"/></font>' +
        '<font><b/><sz val="13"/><name val="Times New Roman"/></font>',
    );
    expect(ids).toEqual({ note: 1, head: 2 });
  });

  it('writes fills with and without a colour, borders side by side, and the alignment Excel names', () => {
    const { xml } = styleSheet({
      shaded: { fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDDDDD' } } },
      hatched: { fill: { type: 'pattern', pattern: 'darkGray' } },
      boxed: { border: { left: { style: 'thin' }, bottom: { style: 'medium', color: { argb: 'FF000000' } } } },
      centred: { alignment: { horizontal: 'center', vertical: 'middle', wrapText: true } },
      top: { alignment: { vertical: 'top' } },
    });
    expect(part(xml, 'fills')[1]).toContain(
      '<fill><patternFill patternType="solid"><fgColor rgb="FFDDDDDD"/></patternFill></fill><fill><patternFill patternType="darkGray"></patternFill></fill>',
    );
    expect(part(xml, 'borders')[1]).toBe(
      '<border><left/><right/><top/><bottom/><diagonal/></border>' +
        '<border><left style="thin"></left><right/><top/><bottom style="medium"><color rgb="FF000000"/></bottom><diagonal/></border>',
    );
    const xfs = part(xml, 'cellXfs')[1]!;
    expect(xfs).toContain('applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>');
    expect(xfs).toContain('applyAlignment="1"><alignment vertical="top"/></xf>');
    expect(xfs).toContain('<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1"></xf>');
  });

  it('gives styles that share a font, fill or border the same one, and the default font the first', () => {
    const { xml } = styleSheet({
      a: { font: { bold: true }, fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFFF00' } } },
      b: { font: { bold: true }, fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFFF00' } } },
      plain: { font: { name: 'Calibri', size: 11 }, alignment: { horizontal: 'left' } },
    });
    expect(part(xml, 'fonts')[0]).toBe('2');
    expect(part(xml, 'cellXfs')[1]).toBe(
      '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
        '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"></xf>' +
        '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"></xf>' +
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="left"/></xf>',
    );
  });

  it('has the parts Excel requires, in order: the two reserved fills first, one cell style, no table styles', () => {
    const { xml } = styleSheet({ plain: {} });
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8" standalone="yes"\?>\n<styleSheet xmlns="[^"]+"><fonts count="1">/,
    );
    expect(part(xml, 'fills')).toEqual([
      '2',
      '<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>',
    ]);
    expect(xml).toContain(
      '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2">',
    );
    expect(xml).toMatch(
      /<\/cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"\/><\/cellStyles><dxfs count="0"\/><tableStyles count="0"\/><\/styleSheet>$/,
    );
  });

  it('refuses a fill it cannot write rather than writing a broken file', () => {
    expect(() => styleSheet({ g: { fill: { type: 'gradient', gradient: 'angle', degree: 0, stops: [] } } })).toThrow(
      'list styles support pattern fills only, not gradient',
    );
  });

  it("uses Excel's own number format ids where there is one, and one new id per other format", () => {
    const { xml } = styleSheet({
      pct: { numFmt: '0%' },
      date: { numFmt: 'dd/mm/yyyy' },
      again: { numFmt: 'dd/mm/yyyy' },
      money: { numFmt: '#,##0 "đ"' },
    });
    expect(part(xml, 'numFmts')).toEqual([
      '2',
      '<numFmt numFmtId="164" formatCode="dd/mm/yyyy"/><numFmt numFmtId="165" formatCode="#,##0 &quot;&#273;&quot;"/>',
    ]);
    expect(part(xml, 'cellXfs')[1]).toBe(
      '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
        '<xf numFmtId="9" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"></xf>' +
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"></xf>' +
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"></xf>' +
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"></xf>',
    );
    expect(styleSheet({ plain: {} }).xml).not.toContain('numFmts');
  });

  it('is what the list files carry: one cell format per style of styles.ts', () => {
    expect(Number(part(STYLES_XML, 'cellXfs')[0])).toBe(Object.keys(STYLE_ID).length + 1);
  });
});
