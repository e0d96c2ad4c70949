// The parts of a one-sheet workbook around the sheet and its strings. They depend only on the form, the print
// titles and the issue date, which are the same for thousands of files, so each is compressed once per thread.
import { STYLES_XML } from './styles-xml.js';
import { NS, XML_DECLARATION, xmlAttr, xmlText } from './xml.js';
import { compressEntry, type CompressedEntry } from './zip.js';

export const SHEET_PART = 'xl/worksheets/sheet1.xml';
export const STRINGS_PART = 'xl/sharedStrings.xml';

const CT = 'application/vnd.openxmlformats-officedocument';
const CONTENT_TYPES =
  `${XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  `<Override PartName="/xl/workbook.xml" ContentType="${CT}.spreadsheetml.sheet.main+xml"/>` +
  `<Override PartName="/${SHEET_PART}" ContentType="${CT}.spreadsheetml.worksheet+xml"/>` +
  `<Override PartName="/xl/styles.xml" ContentType="${CT}.spreadsheetml.styles+xml"/>` +
  `<Override PartName="/${STRINGS_PART}" ContentType="${CT}.spreadsheetml.sharedStrings+xml"/>` +
  '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>' +
  `<Override PartName="/docProps/app.xml" ContentType="${CT}.extended-properties+xml"/>` +
  '</Types>';

const rel = (id: number, type: string, target: string) => `<Relationship Id="rId${id}" Type="${type}" Target="${target}"/>`;
const OD = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

const ROOT_RELS =
  `${XML_DECLARATION}<Relationships xmlns="${NS.pkgRel}">` +
  rel(1, `${OD}/officeDocument`, 'xl/workbook.xml') +
  rel(2, 'http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties', 'docProps/core.xml') +
  rel(3, `${OD}/extended-properties`, 'docProps/app.xml') +
  '</Relationships>';

const WORKBOOK_RELS =
  `${XML_DECLARATION}<Relationships xmlns="${NS.pkgRel}">` +
  rel(1, `${OD}/worksheet`, 'worksheets/sheet1.xml') +
  rel(2, `${OD}/styles`, 'styles.xml') +
  rel(3, `${OD}/sharedStrings`, 'sharedStrings.xml') +
  '</Relationships>';

function appXml(sheetName: string): string {
  return (
    `${XML_DECLARATION}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" ` +
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><Application>ddcn</Application>' +
    '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant>' +
    '<vt:variant><vt:i4>1</vt:i4></vt:variant></vt:vector></HeadingPairs>' +
    `<TitlesOfParts><vt:vector size="1" baseType="lpstr"><vt:lpstr>${xmlText(sheetName)}</vt:lpstr></vt:vector></TitlesOfParts></Properties>`
  );
}

function coreXml(issuedAt: Date): string {
  const t = `${issuedAt.toISOString().slice(0, 19)}Z`;
  return (
    `${XML_DECLARATION}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ` +
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" ' +
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>ddcn</dc:creator>' +
    `<dcterms:created xsi:type="dcterms:W3CDTF">${t}</dcterms:created>` +
    `<dcterms:modified xsi:type="dcterms:W3CDTF">${t}</dcterms:modified></cp:coreProperties>`
  );
}

/** `rows` as "first:last": the rows repeated at the top of every printed page. */
function workbookXml(sheetName: string, printTitleRows: string): string {
  const [first, last] = printTitleRows.split(':');
  const quoted = `'${sheetName.replace(/'/g, "''")}'`;
  return (
    `${XML_DECLARATION}<workbook xmlns="${NS.main}" xmlns:r="${NS.rel}">` +
    `<bookViews><workbookView/></bookViews><sheets><sheet name="${xmlAttr(sheetName)}" sheetId="1" r:id="rId1"/></sheets>` +
    `<definedNames><definedName name="_xlnm.Print_Titles" localSheetId="0">${xmlText(`${quoted}!$${first}:$${last}`)}</definedName></definedNames>` +
    '<calcPr calcId="171027"/></workbook>'
  );
}

const cache = new Map<string, CompressedEntry[]>();

/**
 * Every part but the sheet and its strings, in the order a streaming reader wants them: relationships,
 * workbook and styles before the sheet, so it can resolve the sheet's references as it reads.
 */
export function packageParts(sheetName: string, printTitleRows: string, issuedAt: Date): CompressedEntry[] {
  const key = `${sheetName}\u0000${printTitleRows}\u0000${issuedAt.getTime()}`;
  let parts = cache.get(key);
  // Stryker disable next-line ConditionalExpression: a per-thread cache of compressed parts built from the same inputs: the same bytes
  if (!parts) {
    // A run has one issue date and three forms; an old key is not needed again, so a handful is plenty.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a per-thread cache of compressed parts built from the same inputs: the same bytes
    if (cache.size >= 16) cache.clear();
    parts = [
      compressEntry('[Content_Types].xml', CONTENT_TYPES),
      compressEntry('_rels/.rels', ROOT_RELS),
      compressEntry('docProps/app.xml', appXml(sheetName)),
      compressEntry('docProps/core.xml', coreXml(issuedAt)),
      compressEntry('xl/workbook.xml', workbookXml(sheetName, printTitleRows)),
      compressEntry('xl/_rels/workbook.xml.rels', WORKBOOK_RELS),
      compressEntry('xl/styles.xml', STYLES_XML),
    ];
    cache.set(key, parts);
  }
  return parts;
}
