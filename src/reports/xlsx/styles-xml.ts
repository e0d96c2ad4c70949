// styles.xml for the list files, built once per thread from the same style objects the exceljs forms use
// (styles.ts), so a cell refers to its style by a fixed id instead of each file looking its styles up again.
import type ExcelJS from 'exceljs';
import { S, type StyleName } from '../styles.js';
import { NS, XML_DECLARATION, xmlAttr } from './xml.js';

type Style = Partial<ExcelJS.Style>;

// Number formats Excel knows by id; anything else gets an id of its own from 164 on.
const BUILTIN_FORMATS: Record<string, number> = { General: 0, '0': 1, '#,##0': 3, '0%': 9, '@': 49 };

const VERTICAL: Record<string, string> = {
  middle: 'center',
  top: 'top',
  bottom: 'bottom',
  distributed: 'distributed',
  justify: 'justify',
};

function colorXml(c: Partial<ExcelJS.Color> | undefined): string {
  return c?.argb ? `<color rgb="${c.argb}"/>` : '';
}

function fontXml(f: Partial<ExcelJS.Font>): string {
  return (
    `<font>${f.bold ? '<b/>' : ''}${f.italic ? '<i/>' : ''}${f.underline ? '<u/>' : ''}` +
    `<sz val="${f.size ?? 11}"/>${colorXml(f.color)}<name val="${xmlAttr(f.name ?? 'Calibri')}"/></font>`
  );
}

function fillXml(f: ExcelJS.Fill): string {
  if (f.type !== 'pattern') throw new Error(`list styles support pattern fills only, not ${f.type}`);
  return `<fill><patternFill patternType="${f.pattern}">${f.fgColor?.argb ? `<fgColor rgb="${f.fgColor.argb}"/>` : ''}</patternFill></fill>`;
}

function borderXml(b: Partial<ExcelJS.Borders>): string {
  const side = (name: string, s: Partial<ExcelJS.Border> | undefined) =>
    s?.style ? `<${name} style="${s.style}">${colorXml(s.color)}</${name}>` : `<${name}/>`;
  return `<border>${side('left', b.left)}${side('right', b.right)}${side('top', b.top)}${side('bottom', b.bottom)}<diagonal/></border>`;
}

function alignmentXml(a: Partial<ExcelJS.Alignment>): string {
  const attrs = [
    a.horizontal ? ` horizontal="${a.horizontal}"` : '',
    a.vertical ? ` vertical="${VERTICAL[a.vertical] ?? a.vertical}"` : '',
    a.wrapText ? ' wrapText="1"' : '',
    a.shrinkToFit ? ' shrinkToFit="1"' : '',
  ].join('');
  return `<alignment${attrs}/>`;
}

/** A list of distinct XML pieces; `id` gives the position of one, adding it when new. */
class Table {
  readonly items: string[] = [];
  constructor(first: string[]) {
    this.items.push(...first);
  }
  id(xml: string): number {
    const i = this.items.indexOf(xml);
    return i >= 0 ? i : this.items.push(xml) - 1;
  }
}

/**
 * styles.xml for a set of named styles, and each style's cell format id (its position in cellXfs). Exported for
 * tests, which give it styles today's forms do not use.
 */
export function styleSheet<N extends string>(styles: Record<N, Style>): { xml: string; ids: Record<N, number> } {
  // Stryker disable next-line ObjectLiteral: fontXml's defaults are Calibri 11 too; named here since widths depend on it
  const defaultFont = fontXml({ name: 'Calibri', size: 11 }); // column widths are measured in this font's digits
  const fonts = new Table([defaultFont]);
  const fills = new Table([
    '<fill><patternFill patternType="none"/></fill>',
    '<fill><patternFill patternType="gray125"/></fill>',
  ]);
  const borders = new Table([borderXml({})]);
  const formats = new Map<string, number>();
  const xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'];
  const ids = {} as Record<N, number>;

  for (const [name, style] of Object.entries(styles) as Array<[N, Style]>) {
    let numFmtId = 0;
    if (style.numFmt) {
      numFmtId = BUILTIN_FORMATS[style.numFmt] ?? formats.get(style.numFmt) ?? 164 + formats.size;
      if (!(style.numFmt in BUILTIN_FORMATS)) formats.set(style.numFmt, numFmtId);
    }
    const fontId = style.font ? fonts.id(fontXml(style.font)) : 0;
    const fillId = style.fill ? fills.id(fillXml(style.fill)) : 0;
    const borderId = style.border ? borders.id(borderXml(style.border)) : 0;
    const apply = [
      numFmtId ? ' applyNumberFormat="1"' : '',
      style.font ? ' applyFont="1"' : '',
      style.fill ? ' applyFill="1"' : '',
      style.border ? ' applyBorder="1"' : '',
      style.alignment ? ' applyAlignment="1"' : '',
    ].join('');
    const body = style.alignment ? alignmentXml(style.alignment) : '';
    ids[name] =
      xfs.push(
        `<xf numFmtId="${numFmtId}" fontId="${fontId}" fillId="${fillId}" borderId="${borderId}" xfId="0"${apply}>${body}</xf>`,
      ) - 1;
  }

  const numFmts = [...formats].map(([code, id]) => `<numFmt numFmtId="${id}" formatCode="${xmlAttr(code)}"/>`);
  const list = (tag: string, items: string[]) => `<${tag} count="${items.length}">${items.join('')}</${tag}>`;
  const xml =
    `${XML_DECLARATION}<styleSheet xmlns="${NS.main}">` +
    (numFmts.length ? list('numFmts', numFmts) : '') +
    list('fonts', fonts.items) +
    list('fills', fills.items) +
    list('borders', borders.items) +
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
    list('cellXfs', xfs) +
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
    '<dxfs count="0"/><tableStyles count="0"/></styleSheet>';
  return { xml, ids };
}

const built = styleSheet<StyleName>(S);

/** The whole styles.xml part. */
export const STYLES_XML = built.xml;

/** The `s` attribute of a cell in each style of styles.ts. */
export const STYLE_ID: Readonly<Record<StyleName, number>> = built.ids;
