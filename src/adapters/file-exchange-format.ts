// Files of the registry file exchange (README "File exchange"): UTF-8 CSV with LF line ends, a header row, data
// rows, and a last line, the trailer, `#ddcn;sha256=<hex>;rows=<n>` (answers add `;request_sha256=<hex>`): the
// sha256 of every byte before the trailer. A file that is cut short or altered no longer fits its trailer.
import { createHash } from 'node:crypto';
import { parseString } from 'fast-csv';
import { fromWireAnswer, WireAnswer } from './http-wire.js';
import type { ShareRecord, VerifyAnswer, VerifyRequest } from './types.js';

export const REQUEST_COLUMNS = ['request_id', 'ho_ten', 'ngay_sinh', 'gioi_tinh', 'so_giay_to'] as const;
export const ANSWER_COLUMNS = ['request_id', 'matched', 'so_ddcn', 'fields', 'registry_ho_ten', 'registry_ngay_sinh', 'registry_gioi_tinh'] as const;
export const SHARE_COLUMNS = ['request_id', 'ma_so_bhxh', 'so_ddcn', 'vssid'] as const;

export const REQUEST_PREFIX = 'ddcn-req-';
export const SHARE_PREFIX = 'ddcn-share-';
export const ANSWER_SUFFIX = '.answer.csv';

/** The answer file name the registry must use for a request file. */
export function answerFileFor(requestFile: string): string {
  // Stryker disable next-line Regex: request file names are ours (ddcn-req-<id>-<hex>.csv) and hold .csv once, at the end
  return requestFile.replace(/\.csv$/, ANSWER_SUFFIX);
}

/** A file in the outbox or inbox that is still being written: ours start with a dot (see README). */
export function isInProgress(name: string): boolean {
  return name.startsWith('.') || IN_PROGRESS_SUFFIXES.some((suffix) => name.toLowerCase().endsWith(suffix));
}

/**
 * Names transfer tools give a file while they write it, renamed when complete: ours and the common ones (WinSCP's
 * `.filepart`, rsync-like and browser `.part`/`.crdownload`, `.tmp`, `.partial`, FileZilla's `.temp`). Taking such a
 * file half-uploaded would refuse it as "not an answer file", and its people would wait the resend delay.
 */
const IN_PROGRESS_SUFFIXES = ['.partial', '.tmp', '.temp', '.filepart', '.part', '.crdownload', '.download', '~'];

export class ExchangeFileError extends Error {
  // Stryker disable next-line StringLiteral: the error's name is shown nowhere: the reason file and the log use its reason and message
  override name = 'ExchangeFileError';
  /**
   * The file ends before a whole trailer line: cut short, or, if it changed a moment ago, still being copied in
   * place (scp, sftp put, a plain copy from a USB stick write under the final name).
   */
  readonly cutShort: boolean;
  constructor(readonly reason: 'checksum' | 'format' | 'ids' | 'request', message: string, opts: { cutShort?: boolean } = {}) {
    super(message);
    this.cutShort = opts.cutShort ?? false;
  }
}

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function cell(v: string): string {
  return /[",\r\n#]|^\s|\s$/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

export interface Trailer {
  sha256: string;
  rows: number;
  request_sha256?: string;
}

/** The whole file: header, rows, trailer. Returns its text and checksum. */
export function formatExchangeFile(columns: readonly string[], rows: ReadonlyArray<readonly string[]>, extra: { requestSha256?: string } = {}) {
  const body = [columns, ...rows].map((r) => r.map(cell).join(',') + '\n').join('');
  const checksum = sha256(body);
  const trailer = `#ddcn;sha256=${checksum};rows=${rows.length}${extra.requestSha256 ? `;request_sha256=${extra.requestSha256}` : ''}\n`;
  return { text: body + trailer, checksum };
}

function parseCsv(text: string): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const out: string[][] = [];
    // Stryker disable next-line ObjectLiteral: headers: false is fast-csv's default
    parseString<string[], string[]>(text, { headers: false })
      .on('error', reject)
      .on('data', (r: string[]) => out.push(r))
      .on('end', () => resolve(out));
  });
}

/** Checks the trailer and the header; returns the data rows by column. Throws ExchangeFileError with the reason. */
export async function parseExchangeFile(text: string, columns: readonly string[]): Promise<{ rows: Record<string, string>[]; trailer: Trailer }> {
  try {
    return await parseExact(text, columns);
  } catch (err) {
    // A transfer in text mode (FTP ASCII, a Windows copy) turns LF into CRLF, and an editor may add a byte-order
    // mark: the content is the same, the bytes are not. Read as written if that fits its trailer; else say what
    // the transfer did rather than "altered or cut short", which sends the operator looking for the wrong thing.
    // Saved as UTF-16 (Excel's "Unicode text", Notepad's "Unicode"): every other byte a zero, and its byte-order
    // mark not UTF-8. No trailer can be found in it; said so, rather than "incomplete or not ours".
    if (err instanceof ExchangeFileError && err.cutShort && (text.startsWith('\uFFFD\uFFFD') || text.includes('\u0000'))) {
      throw new ExchangeFileError('format', `${err.message} (the file is not UTF-8 but UTF-16, as "Unicode" text is saved: save answer files as UTF-8)`, { cutShort: true });
    }
    // Saved in a one-byte encoding (Windows-1258, Latin-1, "ANSI"): its letters with marks are no UTF-8, read as U+FFFD,
    // and the text no longer fits the checksum of its bytes. Said so, rather than "altered or cut short".
    if (err instanceof ExchangeFileError && err.reason === 'checksum' && !err.cutShort && text.includes('\uFFFD')) {
      throw new ExchangeFileError('checksum', `${err.message} (the file is not UTF-8: saved in another encoding, such as Windows-1258 or "ANSI"? save answer files as UTF-8)`);
    }
    const changed = text.startsWith('\uFEFF') || text.includes('\r\n');
    if (!changed || !(err instanceof ExchangeFileError) || err.reason !== 'checksum') throw err;
    const restored = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
    try {
      return await parseExact(restored, columns);
    } catch (again) {
      if (again instanceof ExchangeFileError && again.reason === 'checksum') {
        throw new ExchangeFileError(
          'checksum',
          `${again.message} (the file has ${text.includes('\r\n') ? 'Windows line ends (CRLF)' : 'a byte-order mark'}: was it transferred in text mode? transfer answer files in binary mode)`,
          { cutShort: again.cutShort },
        );
      }
      throw again;
    }
  }
}

async function parseExact(file: string, columns: readonly string[]): Promise<{ rows: Record<string, string>[]; trailer: Trailer }> {
  // Empty lines after the trailer (`echo >>`, an editor or a transfer tool that ends the file with one more line end)
  // change nothing the trailer covers: read as if they were not there, not refused as a file without its trailer.
  // Counted back from the end, not with a regular expression: /(?<=\n)\n+$/ tried every line end of the file as the
  // start of that run, the square of a long run of empty lines elsewhere (an answer file of 4 MB: hours).
  let keep = file.length;
  while (keep > 1 && file.charCodeAt(keep - 1) === 10 && file.charCodeAt(keep - 2) === 10) keep -= 1;
  const text = file.slice(0, keep);
  const end = text.endsWith('\n') ? text.length - 1 : text.length;
  const at = text.lastIndexOf('\n', end - 1) + 1;
  const last = text.slice(at, end);
  const m = /^#ddcn;sha256=([0-9a-f]{64});rows=(\d+)(?:;request_sha256=([0-9a-f]{64}))?$/.exec(last);
  if (!m) throw new ExchangeFileError('checksum', 'no trailer line (#ddcn;sha256=…;rows=…): the file is incomplete or not ours', { cutShort: true });
  const body = text.slice(0, at);
  if (sha256(body) !== m[1]) throw new ExchangeFileError('checksum', 'checksum does not match the content: the file was altered or cut short');
  const trailer: Trailer = { sha256: m[1]!, rows: Number(m[2]), ...(m[3] ? { request_sha256: m[3] } : {}) };
  let table: string[][];
  try {
    table = await parseCsv(body);
  } catch {
    throw new ExchangeFileError('format', 'not a readable CSV');
  }
  const [header, ...data] = table;
  if (!header || header.join(',') !== columns.join(',')) throw new ExchangeFileError('format', `header must be ${columns.join(',')}`);
  if (data.length !== trailer.rows) throw new ExchangeFileError('checksum', `trailer says ${trailer.rows} rows, the file has ${data.length}`);
  const rows = data.map((r, i) => {
    if (r.length !== columns.length) throw new ExchangeFileError('format', `row ${i + 2} has ${r.length} fields, not ${columns.length}`);
    // Stryker disable next-line StringLiteral: the row has exactly one field per column (checked above); the fallback only satisfies the index type
    return Object.fromEntries(columns.map((c, k) => [c, r[k] ?? '']));
  });
  return { rows, trailer };
}

export function requestRow(r: VerifyRequest): string[] {
  return [r.requestId, r.hoTen, r.ngaySinh ?? '', r.gioiTinh ?? '', r.soGiayTo];
}

export function requestFromRow(row: Record<string, string>): VerifyRequest {
  const sex = row.gioi_tinh === 'M' || row.gioi_tinh === 'F' ? row.gioi_tinh : null;
  return { requestId: row.request_id!, hoTen: row.ho_ten!, ngaySinh: row.ngay_sinh || null, gioiTinh: sex, soGiayTo: row.so_giay_to! };
}

export function answerRow(a: VerifyAnswer): string[] {
  return [
    a.requestId, String(a.matched), a.soDdcn ?? '', a.fields.join(';'),
    a.registry?.hoTen ?? '', a.registry?.ngaySinh ?? '', a.registry?.gioiTinh ?? '',
  ];
}

/** An answer row in the HTTP answer's shape, validated by the same schema; null when it does not fit. */
export function answerFromRow(row: Record<string, string>): VerifyAnswer | null {
  const registry: Record<string, string> = {};
  if (row.registry_ho_ten) registry.ho_ten = row.registry_ho_ten;
  if (row.registry_ngay_sinh) registry.ngay_sinh = row.registry_ngay_sinh;
  if (row.registry_gioi_tinh) registry.gioi_tinh = row.registry_gioi_tinh;
  const matched = row.matched === 'true' ? true : row.matched === 'false' ? false : row.matched;
  const wire = {
    request_id: row.request_id,
    matched,
    so_ddcn: row.so_ddcn || null,
    fields: row.fields ? row.fields.split(';') : [],
    ...(Object.keys(registry).length ? { registry } : {}),
  };
  const parsed = WireAnswer.safeParse(wire);
  return parsed.success ? fromWireAnswer(parsed.data) : null;
}

export function shareRow(r: ShareRecord): string[] {
  return [r.requestId, r.maSoBhxh, r.soDdcn, r.vssid ? '1' : '0'];
}
