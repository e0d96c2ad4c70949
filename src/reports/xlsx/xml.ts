// Text into SpreadsheetML. Values come from data files, so anything may be in them.

// What needs more than copying: markup characters, CR (a parser would turn it into LF), characters XML 1.0 does
// not allow at all, and anything outside ASCII.
const NEEDS_WORK = /[^\t\n\x20-\x21\x23-\x25\x27-\x3B\x3D\x3F-\x7E]/;
const ENTITY: Record<number, string> = { 0x22: '&quot;', 0x26: '&amp;', 0x3c: '&lt;', 0x3e: '&gt;', 0x0d: '&#13;' };

/**
 * Escaped for element text and double-quoted attributes, and all in ASCII: every other character as a numeric
 * reference. exceljs's streaming reader decodes each chunk of a part on its own, so a multi-byte UTF-8
 * character split across two chunks of a large sheet's strings came back as "�"; ASCII cannot be split.
 * Characters XML 1.0 forbids (most C0 controls, U+FFFE/U+FFFF, lone surrogates) are dropped, as exceljs did.
 */
export function xmlText(s: string): string {
  // Stryker disable next-line ConditionalExpression: a shortcut only: the loop below gives back plain text unchanged too
  if (!NEEDS_WORK.test(s)) return s;
  let out = '';
  let from = 0; // start of the run of characters copied as they are
  // Stryker disable next-line EqualityOperator: the extra step reads NaN, which matches no branch and appends nothing
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && ENTITY[c] === undefined) continue;
    if (c === 0x09 || c === 0x0a) continue;
    let put = ENTITY[c] ?? '';
    if (c >= 0x7f && c !== 0xfffe && c !== 0xffff) {
      const next = s.charCodeAt(i + 1);
      if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        put = `&#${((c - 0xd800) << 10) + (next - 0xdc00) + 0x10000};`;
        out += s.slice(from, i) + put;
        from = ++i + 1;
        continue;
      }
      if (c < 0xd800 || c > 0xdfff) put = `&#${c};`;
    }
    out += s.slice(from, i) + put;
    from = i + 1;
  }
  return out + s.slice(from);
}

/** Attribute values also keep tabs and line breaks, which attribute normalisation would turn into spaces. */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

export const NS = {
  main: 'http://schemas.openxmlformats.org/spreadsheetml/2006/main',
  rel: 'http://schemas.openxmlformats.org/officeDocument/2006/relationships',
  pkgRel: 'http://schemas.openxmlformats.org/package/2006/relationships',
} as const;
