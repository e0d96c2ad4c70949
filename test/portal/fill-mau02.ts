import ExcelJS from 'exceljs';

/** What a clerk does with a downloaded Mẫu 02: type into columns 10–13 of some people's rows and save. */
export async function fillMau02(file: Buffer, fills: Record<string, Partial<Record<10 | 11 | 12 | 13, string>>>): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(file as unknown as ArrayBuffer);
  const ws = wb.worksheets[0]!;
  ws.eachRow((row) => {
    const code = row.getCell(2).value;
    if (typeof code === 'string' && fills[code]) {
      for (const [col, v] of Object.entries(fills[code]!)) row.getCell(Number(col)).value = v;
    }
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}
