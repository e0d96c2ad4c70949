// Text as the list writer puts it into SpreadsheetML: markup escaped, everything outside ASCII as a numeric
// reference, and what XML 1.0 forbids dropped rather than written as a reference no reader accepts.
import { describe, expect, it } from 'vitest';
import { xmlAttr, xmlText } from '../../src/reports/xlsx/xml.js';

describe('xmlText', () => {
  it('drops the C0 controls XML 1.0 forbids, keeps tab and line feed, and writes CR and DEL as references', () => {
    expect(xmlText('a\u0001b\u0008c\u001fd')).toBe('abcd');
    expect(xmlText('a\tb\nc\rd\u007fe')).toBe('a\tb\nc&#13;d&#127;e');
  });

  it('writes a character beyond the BMP as one reference, and drops a lone surrogate and U+FFFE/U+FFFF', () => {
    expect(xmlText('Lê 😀')).toBe('L&#234; &#128512;');
    // a low surrogate after another non-ASCII character is not half of a pair
    expect(xmlText('é\udc00x')).toBe('&#233;x');
    expect(xmlText('\ud800é\udbff')).toBe('&#233;');
    // two low surrogates are no pair either
    expect(xmlText('\udc00\udc00x')).toBe('x');
    expect(xmlText('a\ufffeb\uffffc')).toBe('abc');
  });
});

describe('xmlAttr', () => {
  // A reader normalises a literal tab or line break in an attribute to a space: a data-validation prompt written on
  // two lines would come back on one.
  it('keeps tabs and line breaks as references, and escapes the rest as element text', () => {
    expect(xmlAttr('Mã số\tBHXH\nnhập 10 chữ số')).toBe('M&#227; s&#7889;&#9;BHXH&#10;nh&#7853;p 10 ch&#7919; s&#7889;');
    expect(xmlAttr('a "b" & <c>\r\n')).toBe('a &quot;b&quot; &amp; &lt;c&gt;&#13;&#10;');
  });
});
