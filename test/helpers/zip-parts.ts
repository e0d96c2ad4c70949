// A workbook's parts as a reader of the zip gives them, one of them changed and zipped again: what a hostile file
// does to a sheet's XML, which no spreadsheet library would write.
import { writeFile } from 'node:fs/promises';
import { unpackedWithin } from '../../src/reports/xlsx/part-sizes.js';
import { compressEntry, zipArchive } from '../../src/reports/xlsx/zip.js';

/** `workbook` with its part `name` edited; `scratch`: a path to write the workbook to, to read its parts. */
export async function withPart(workbook: Buffer, scratch: string, name: string, edit: (xml: string) => string): Promise<Buffer> {
  await writeFile(scratch, workbook);
  const parts: Array<[string, Buffer]> = [];
  await unpackedWithin(scratch, { total: 1 << 30 }, (n, data) => parts.push([n, Buffer.from(data)]));
  if (!parts.some(([n]) => n === name)) throw new Error(`no part ${name} in the workbook`);
  return zipArchive(parts.map(([n, data]) => compressEntry(n, n === name ? Buffer.from(edit(data.toString('utf8'))) : data)), new Date('2024-06-03T01:30:00Z'));
}
