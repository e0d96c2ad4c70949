// The exchange file's bytes are an interface (README "File exchange"): the registry's side writes and checks them
// with its own code, so a field is quoted exactly when CSV needs it, and read back as it was written.
import { describe, expect, it } from 'vitest';
import { formatExchangeFile, parseExchangeFile, REQUEST_COLUMNS, sha256 } from '../../src/adapters/file-exchange-format.js';

describe('exchange file format', () => {
  it('quotes a field only for a quote, comma, line break, # or space at either end, and reads every field back', async () => {
    const rows = [
      ['0100000001', 'Nguyễn Văn An', '1990-01-01', 'M', '012345678'],
      ['0100000002', ' Lê Thị Bình', '1991-02-02', 'F', '012345679 '],
      ['0100000003', 'Trần "Út", Cường', '1992-03-03', 'M', '#1'],
    ];
    const { text, checksum } = formatExchangeFile(REQUEST_COLUMNS, rows);
    const body = [
      'request_id,ho_ten,ngay_sinh,gioi_tinh,so_giay_to',
      '0100000001,Nguyễn Văn An,1990-01-01,M,012345678',
      '0100000002," Lê Thị Bình",1991-02-02,F,"012345679 "',
      '0100000003,"Trần ""Út"", Cường",1992-03-03,M,"#1"',
    ].map((l) => `${l}\n`).join('');
    expect(text).toBe(`${body}#ddcn;sha256=${sha256(body)};rows=3\n`);
    expect(checksum).toBe(sha256(body));
    const back = await parseExchangeFile(text, REQUEST_COLUMNS);
    expect(back.rows.map((r) => REQUEST_COLUMNS.map((c) => r[c]))).toEqual(rows);
  });
});
