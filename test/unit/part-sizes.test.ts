// The zip checks that come before a workbook is read: every reader must see the zip the check saw, and the check
// must cost no more than reading the file once. Each case below passed the first version of the check and then
// unpacked to gigabytes in exceljs, or kept a core busy for minutes, or threw a RangeError.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unpackedWithin, xlsxPartSizes } from '../../src/reports/xlsx/part-sizes.js';
import { sheetExtent } from '../../src/reports/xlsx/sheet-extent.js';
import { compressEntry, zipArchive } from '../../src/reports/xlsx/zip.js';
import { tempDirPerFile } from '../helpers/temp-dir.js';

const dir = tempDirPerFile('ddcn-part-sizes-');

/** A zip of three parts, the last one 1 MB of one letter (a few KB zipped). */
const sound = () =>
  zipArchive(
    [compressEntry('[Content_Types].xml', '<Types/>'), compressEntry('xl/workbook.xml', '<workbook/>'), compressEntry('xl/sharedStrings.xml', 'A'.repeat(1 << 20))],
    new Date('2024-06-03T01:30:00Z'),
  );
const endRecord = (zip: Buffer) => zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));

async function check(name: string, zip: Buffer) {
  const file = path.join(dir, name);
  await writeFile(file, zip);
  return { sizes: await xlsxPartSizes(file), within: await unpackedWithin(file, { total: 2 << 20 }), small: await unpackedWithin(file, { total: 512 << 10 }) };
}

describe('the zip checks before a workbook is read', () => {
  it('read a sound zip, and tell its real size against the limit', async () => {
    const r = await check('sound.xlsx', sound());
    expect([...r.sizes!.entries()]).toEqual([['[Content_Types].xml', 8], ['xl/workbook.xml', 11], ['xl/sharedStrings.xml', 1 << 20]]);
    expect([r.within, r.small]).toEqual(['yes', 'over']);
  });

  it('refuse a zip that one reader would see otherwise than another', async () => {
    // The end record's count says one part: a reader that reads the directory on sees the big one.
    const fewer = sound();
    fewer.writeUInt16LE(1, endRecord(fewer) + 8);
    fewer.writeUInt16LE(1, endRecord(fewer) + 10);
    // Bytes before the first part: JSZip shifts every offset by them.
    const prepended = Buffer.concat([Buffer.alloc(100, 0x20), sound()]);
    // A ZIP64 locator before the end record: JSZip follows it to another directory.
    const plain = sound();
    const at = endRecord(plain);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    const zip64 = Buffer.concat([plain.subarray(0, at), locator, plain.subarray(at)]);
    zip64.writeUInt32LE(zip64.readUInt32LE(at + 20 + 16), at + 20 + 16); // the directory's offset as it was
    for (const [name, zip] of Object.entries({ fewer, prepended, zip64 })) {
      const r = await check(`${name}.xlsx`, zip);
      expect([name, r.sizes, r.within]).toEqual([name, null, 'unreadable']);
    }
  });

  it('refuse parts that share or skip bytes, and a directory of more parts than a workbook has, at the cost of one reading', async () => {
    // Every directory entry pointing at the first part: each would be inflated in turn, the file read n times.
    const zip = sound();
    const end = endRecord(zip);
    const dirAt = zip.readUInt32LE(end + 16);
    let p = dirAt;
    for (let i = 0; i < 3; i++) {
      zip.writeUInt32LE(0, p + 42);
      p += 46 + zip.readUInt16LE(p + 28) + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
    }
    expect((await check('shared.xlsx', zip)).within).toBe('unreadable');
    // 20 000 entries (the most is 10 000).
    const entry = zip.subarray(dirAt, dirAt + 46 + zip.readUInt16LE(dirAt + 28));
    const many = Buffer.concat([zip.subarray(0, dirAt), ...Array.from({ length: 20_000 }, () => entry), zip.subarray(end)]);
    const tail = endRecord(many);
    many.writeUInt16LE(20_000 % 65_536, tail + 8);
    many.writeUInt16LE(20_000 % 65_536, tail + 10);
    many.writeUInt32LE(entry.length * 20_000, tail + 12);
    const started = performance.now();
    expect((await check('many.xlsx', many)).within).toBe('unreadable');
    expect(performance.now() - started).toBeLessThan(5_000); // a sanity bound for a hung loop, not a timing
  });

  it('refuse a part whose own header says otherwise than the directory: a streaming reader goes by that header', async () => {
    const zip = sound();
    const dirAt = zip.readUInt32LE(endRecord(zip) + 16);
    const last = (z: Buffer) => {
      let p = dirAt;
      for (let i = 0; i < 2; i++) p += 46 + z.readUInt16LE(p + 28) + z.readUInt16LE(p + 30) + z.readUInt16LE(p + 32);
      return z.readUInt32LE(p + 42); // the big part's local header
    };
    const method = Buffer.from(zip);
    method.writeUInt16LE(0, last(method) + 8); // stored, says its header; deflated, says the directory
    const size = Buffer.from(zip);
    size.writeUInt32LE(4, last(size) + 18); // 4 bytes of data, says its header: the rest would read as another part
    const name = Buffer.from(zip);
    name.write('xl/sharedStrings.xmX', last(name) + 30, 'latin1');
    for (const [what, z] of Object.entries({ method, size, name })) expect([what, (await check(`${what}.xlsx`, z)).within]).toEqual([what, 'unreadable']);
  });

  it('refuse a part whose deflate stream ends before the part does: what follows would be read as another part', async () => {
    const part = compressEntry('xl/sharedStrings.xml', '<sst/>');
    const hidden = Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(60, 1)]);
    const smuggled = { ...part, data: [...part.data, hidden], compressedSize: part.compressedSize + hidden.length };
    const zip = zipArchive([compressEntry('[Content_Types].xml', '<Types/>'), smuggled], new Date('2024-06-03T01:30:00Z'));
    expect((await check('smuggled.xlsx', zip)).within).toBe('unreadable');
  });

  it('refuse a file that only ends like a zip, without throwing', async () => {
    const fake = Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(200, 7), Buffer.from([0x50, 0x4b, 0x05, 0x06, 0, 0])]);
    const r = await check('fake.xlsx', fake);
    expect([r.sizes, r.within]).toEqual([null, 'unreadable']);
    const short = await check('short.xlsx', Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    expect([short.sizes, short.within]).toEqual([null, 'unreadable']);
  });
});

describe('what a part makes a reader build', () => {
  it('is read from its XML as a parser reads it: rows, columns, merged ranges and cells, validations, names', () => {
    const xml = Buffer.from(
      '<worksheet><cols><col min="1" max="14"/></cols><sheetData><row r="1"><c r="A1"/><c r="N1"/></row><row><c/></row><row r="20"><c r="B20" t="s"/></row></sheetData>' +
        '<mergeCells count="2"><mergeCell ref="A1:N1"/><mergeCell ref="B3:C4"/></mergeCells></worksheet>',
    );
    expect(sheetExtent(xml)).toEqual({ rows: 20, columns: 14, columnDefinitions: 14, merges: 2, merged: 14 + 4, validated: 0, named: 0 });
    expect(sheetExtent(Buffer.from('<sheetData><row><c/></row><row><c/></row><row><c/></row></sheetData>')).rows).toBe(3);
    const whole = 16_384 * 1_048_557;
    // The same range however its attribute is written: XML allows either quote, spaces, character references, `$`.
    for (const ref of ['ref="A20:XFD1048576"', "ref='A20:XFD1048576'", 'ref = " $A$20:$XFD$1048576 "', 'ref="&#65;20:XFD1048576"']) {
      expect([ref, sheetExtent(Buffer.from(`<mergeCells><mergeCell ${ref}/></mergeCells>`)).merged]).toEqual([ref, whole]);
    }
    expect(sheetExtent(Buffer.from("<row r='1000000'><c r=' $B$1000000'/></row>"))).toMatchObject({ rows: 1_000_000, columns: 2 });
    // An empty row far below (LibreOffice writes the last two after a row is deleted) is one row, not a million;
    // a cell without an address is in its row, and a row without a number follows the one before.
    expect(sheetExtent(Buffer.from('<row r="20"><c r="B20"/></row><row r="1048575" ht="12.8" customHeight="1"/><row r="1048576" ht="12.8"></row>')).rows).toBe(20);
    expect(sheetExtent(Buffer.from('<row r="30"><c/></row><row><c/></row><row r="1048576"/>')).rows).toBe(31);
    // exceljs keeps an entry per cell of a validated range, builds the cells of a defined name, a column per <col>.
    const validations = '<dataValidations><dataValidation type="list" sqref="J15:M20 $A$1:$XFD$1048576"><formula1>"Nam,Nữ"</formula1></dataValidation></dataValidations>';
    expect(sheetExtent(Buffer.from(validations)).validated).toBe(4 * 6 + 16_384 * 1_048_576);
    expect(sheetExtent(Buffer.from(`<definedNames><definedName name="zz">'Mẫu 02'!$A$1:$CV$100000</definedName></definedNames>`)).named).toBe(100 * 100_000);
    expect(sheetExtent(Buffer.from('<cols><col min="15" max="30000000"/></cols>')).columnDefinitions).toBe(30_000_000);
    // A print area over whole columns is page setup, not cells.
    expect(sheetExtent(Buffer.from(`<definedName name="_xlnm.Print_Area" localSheetId="0">'Mẫu 02'!$A:$N</definedName>`)).named).toBe(0);
    // Any other name over whole columns is one entry for exceljs (LibreOffice's autofilter on columns selected by their
    // headers: `_xlnm._FilterDatabase` = `$A:$N`), over whole rows one cell a row; a range down to the sheet's last
    // row is every cell of it.
    const named = (ref: string) => sheetExtent(Buffer.from(`<definedName function="false" hidden="true" localSheetId="0" name="_xlnm._FilterDatabase">${ref}</definedName>`)).named;
    expect([named("&apos;Mẫu 02&apos;!$A:$N"), named("'Mẫu 02'!A:N"), named("'Mẫu 02'!$11:$14"), named("'Mẫu 02'!$A$14:$N$1048576")])
      .toEqual([1, 1, 4, 14 * (1_048_576 - 13)]);
  });

  it('reads malformed text in time linear in its length', () => {
    for (const tag of ['<row ', '<c ', '<mergeCell ', '<dataValidation ']) {
      const started = performance.now();
      sheetExtent(Buffer.from(tag.repeat(200_000)));
      expect([tag, performance.now() - started < 2_000]).toEqual([tag, true]); // 1 MB: quadratic took minutes
    }
  });
});
