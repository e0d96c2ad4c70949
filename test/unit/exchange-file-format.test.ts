// The exchange file's bytes are an interface (README "File exchange"): the registry's side writes and checks them
// with its own code, so a field is quoted exactly when CSV needs it, and read back as it was written.
import { describe, expect, it } from 'vitest';
import {
  ANSWER_COLUMNS, answerFromRow, answerRow, ExchangeFileError, formatExchangeFile, parseExchangeFile, REQUEST_COLUMNS, requestFromRow, requestRow,
  sha256, SHARE_COLUMNS, shareRow,
} from '../../src/adapters/file-exchange-format.js';
import type { VerifyAnswer, VerifyRequest } from '../../src/adapters/types.js';

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

  it('reads a file whose trailer has no line end after it', async () => {
    const { text } = formatExchangeFile(REQUEST_COLUMNS, [['0100000001', 'An', '', '', '012345678']]);
    const back = await parseExchangeFile(text.slice(0, -1), REQUEST_COLUMNS);
    expect(back.rows).toEqual([{ request_id: '0100000001', ho_ten: 'An', ngay_sinh: '', gioi_tinh: '', so_giay_to: '012345678' }]);
    expect(back.trailer).toEqual({ sha256: sha256(text.slice(0, text.lastIndexOf('#'))), rows: 1 });
  });

  it('says a file saved as UTF-16 is not UTF-8, with or without its byte-order mark', async () => {
    const { text } = formatExchangeFile(REQUEST_COLUMNS, [['0100000001', 'An', '', '', '012345678']]);
    for (const bytes of [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), Buffer.from(text, 'utf16le')]) {
      await expect(parseExchangeFile(bytes.toString('utf8'), REQUEST_COLUMNS)).rejects.toMatchObject({
        reason: 'format',
        message: 'no trailer line (#ddcn;sha256=…;rows=…): the file is incomplete or not ours (the file is not UTF-8 but UTF-16, as "Unicode" text is saved: save answer files as UTF-8)',
      });
    }
  });

  it('says a file saved in a one-byte encoding (Windows-1258, Latin-1) is not UTF-8', async () => {
    const { text } = formatExchangeFile(REQUEST_COLUMNS, [['0100000001', 'Lê Thị Bình', '', '', '012345678']]);
    const at = text.lastIndexOf('#ddcn');
    const body = Buffer.from(text.slice(0, at), 'latin1'); // one byte a letter: ê is 0xEA, no UTF-8
    const bytes = Buffer.concat([body, Buffer.from(`#ddcn;sha256=${sha256(body)};rows=1\n`)]);
    await expect(parseExchangeFile(bytes.toString('utf8'), REQUEST_COLUMNS)).rejects.toMatchObject({
      reason: 'checksum',
      message: 'checksum does not match the content: the file was altered or cut short (the file is not UTF-8: saved in another encoding, such as Windows-1258 or "ANSI"? save answer files as UTF-8)',
    });
  });

  it('reads a file with empty lines after its trailer, with LF or CRLF line ends', async () => {
    const { text } = formatExchangeFile(REQUEST_COLUMNS, [['0100000001', 'An', '', '', '012345678']]);
    for (const more of [`${text}\n`, `${text}\n\n\n`, `${text}\n`.replace(/\n/g, '\r\n')]) {
      const back = await parseExchangeFile(more, REQUEST_COLUMNS);
      expect(back.rows).toEqual([{ request_id: '0100000001', ho_ten: 'An', ngay_sinh: '', gioi_tinh: '', so_giay_to: '012345678' }]);
    }
    // Anything else after the trailer is no trailer.
    await expect(parseExchangeFile(`${text}\n \n`, REQUEST_COLUMNS)).rejects.toMatchObject({ reason: 'checksum' });
  });

  // The answer files come from outside (bounded at 4 MB): the look for empty lines at the end must not cost the square
  // of a run of empty lines elsewhere in the file (each of 1 MB of line ends tried as the start of the end's run).
  it('reads a file with a long run of empty lines before its end in linear time', async () => {
    const file = `${HEADER}${'\n'.repeat(1_000_000)}x\n`;
    const started = Date.now();
    await expect(parseExchangeFile(file, REQUEST_COLUMNS)).rejects.toMatchObject({ reason: 'checksum' });
    expect(Date.now() - started).toBeLessThan(2000);
  }, 60_000);

  /** A file of this body with a trailer that fits it, so that only the body's own fault is left. */
  const signed = (body: string, rows: number) => `${body}#ddcn;sha256=${sha256(body)};rows=${rows}\n`;
  const HEADER = 'request_id,ho_ten,ngay_sinh,gioi_tinh,so_giay_to\n';

  it.each([
    ['no trailer', HEADER, 'checksum', 'no trailer line (#ddcn;sha256=…;rows=…): the file is incomplete or not ours'],
    ['something before the trailer on its line', `${HEADER}x#ddcn;sha256=${sha256(HEADER)};rows=0\n`, 'checksum',
      'no trailer line (#ddcn;sha256=…;rows=…): the file is incomplete or not ours'],
    ['something after the trailer on its line', `${HEADER}#ddcn;sha256=${sha256(HEADER)};rows=0 \n`, 'checksum',
      'no trailer line (#ddcn;sha256=…;rows=…): the file is incomplete or not ours'],
    ['a body that does not fit the checksum', `${HEADER}#ddcn;sha256=${sha256('other')};rows=0\n`, 'checksum',
      'checksum does not match the content: the file was altered or cut short'],
    ['a quote left open', signed(`${HEADER}"0100000001,An,,,012345678\n`, 1), 'format', 'not a readable CSV'],
    ['another header', signed('request_id,ho_ten\n', 0), 'format', 'header must be request_id,ho_ten,ngay_sinh,gioi_tinh,so_giay_to'],
    ['no header', signed('', 0), 'format', 'header must be request_id,ho_ten,ngay_sinh,gioi_tinh,so_giay_to'],
    ['more rows than the trailer says', signed(`${HEADER}0100000001,An,,,012345678\n0100000002,Bình,,,012345679\n`, 1), 'checksum', 'trailer says 1 rows, the file has 2'],
    ['a row short of fields', signed(`${HEADER}0100000001,An,,,012345678\n0100000002,Bình,,012345679\n`, 2), 'format', 'row 3 has 4 fields, not 5'],
  ])('refuses a file with %s, saying why', async (_what, text, reason, message) => {
    const err = await parseExchangeFile(text, REQUEST_COLUMNS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExchangeFileError);
    expect(err).toMatchObject({ reason, message });
  });

  /** Through the file's bytes and back, as the other side of the exchange reads and writes them. */
  async function through(columns: readonly string[], row: string[]) {
    return (await parseExchangeFile(formatExchangeFile(columns, [row]).text, columns)).rows[0]!;
  }

  it('sends a person without a birth date or sex with those fields empty, and reads them back as unknown', async () => {
    const ask: VerifyRequest = { requestId: '0100000001', hoTen: 'Nguyễn Văn An', ngaySinh: null, gioiTinh: null, soGiayTo: '012345678' };
    expect(requestRow(ask)).toEqual(['0100000001', 'Nguyễn Văn An', '', '', '012345678']);
    expect(requestFromRow(await through(REQUEST_COLUMNS, requestRow(ask)))).toEqual(ask);
    const full: VerifyRequest = { ...ask, ngaySinh: '1990-01', gioiTinh: 'F' };
    expect(requestFromRow(await through(REQUEST_COLUMNS, requestRow(full)))).toEqual(full);
  });

  it('carries an answer and the values the registry disclosed through the answer file unchanged', async () => {
    const answers: VerifyAnswer[] = [
      { requestId: '0100000001', matched: true, soDdcn: '001090000001', fields: [] },
      { requestId: '0100000002', matched: false, soDdcn: null, fields: ['dob', 'name', 'sex'], registry: { hoTen: 'Trần Thị Bình', ngaySinh: '1991-02-02', gioiTinh: 'F' } },
      { requestId: '0100000003', matched: false, soDdcn: null, fields: ['id_number'] },
    ];
    expect(answerRow(answers[1]!)).toEqual(['0100000002', 'false', '', 'dob;name;sex', 'Trần Thị Bình', '1991-02-02', 'F']);
    expect(answerRow(answers[0]!)).toEqual(['0100000001', 'true', '001090000001', '', '', '', '']);
    for (const a of answers) expect(answerFromRow(await through(ANSWER_COLUMNS, answerRow(a)))).toEqual(a);
    // Each disclosed value on its own.
    const nameOnly: VerifyAnswer = { requestId: '0100000004', matched: false, soDdcn: null, fields: ['name'], registry: { hoTen: 'Lê Văn Cường' } };
    expect(answerFromRow(await through(ANSWER_COLUMNS, answerRow(nameOnly)))).toEqual(nameOnly);
    const sexOnly: VerifyAnswer = { requestId: '0100000005', matched: false, soDdcn: null, fields: ['sex'], registry: { gioiTinh: 'M' } };
    expect(answerFromRow(await through(ANSWER_COLUMNS, answerRow(sexOnly)))).toEqual(sexOnly);
    // A disclosed name with a NUL, another control character or a direction override, or longer than a name may be,
    // does not fit: the answer is refused as malformed (it failed the chunk's write, and the run, over and over).
    for (const name of ['Trần\u0000Bình', 'Trần\u0007Bình', 'Trần \u202eBình', 'T'.repeat(201)]) {
      expect(answerFromRow(await through(ANSWER_COLUMNS, ['0100000002', 'false', '', 'name', name, '', '']))).toBeNull();
    }
    expect(answerFromRow(await through(ANSWER_COLUMNS, ['0100000002', 'false', '', 'name', 'T'.repeat(200), '', '']))).not.toBeNull();
    // "matched" is true or false, nothing else.
    expect(answerFromRow(await through(ANSWER_COLUMNS, ['0100000001', 'yes', '001090000001', '', '', '', '']))).toBeNull();
    expect(answerFromRow(await through(ANSWER_COLUMNS, ['0100000001', 'no', '', 'name', '', '', '']))).toBeNull();
  });

  it('writes a share record\'s VssID account as 1 or 0', () => {
    const text = formatExchangeFile(SHARE_COLUMNS, [
      shareRow({ requestId: '0100000001', maSoBhxh: '0100000001', soDdcn: '001090000001', vssid: true }),
      shareRow({ requestId: '0100000002', maSoBhxh: '0100000002', soDdcn: '001090000002', vssid: false }),
    ]).text;
    expect(text.split('\n').slice(0, 3)).toEqual(['request_id,ma_so_bhxh,so_ddcn,vssid', '0100000001,0100000001,001090000001,1', '0100000002,0100000002,001090000002,0']);
  });
});
