// Reads a Mẫu 02 that a unit filled in and sent back (Plan II.4). The form and the unit are recognised from
// the sheet itself — the form number, the title, the `Mã đơn vị:` line — and the columns from the numbered
// row `(1) … (14)`, so a sheet that gained a row above the table or was re-saved by LibreOffice still reads.
import { open, type FileHandle } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import { MAX_BIRTH_YEAR } from '../domain/dates.js';
import { cannotOpen, UserError } from '../errors.js';
import { cellText, excelEpochMs, monthBeforeDay, notADate, usesDate1904, withoutTypedApostrophe as typed, yearTypedAsDate } from './cell-text.js';
import { parseIsoDate, type CalendarDate } from './vn-date.js';
import { INPUT_COLUMNS } from './mau02.js';
import { unpackedWithin, xlsxPartSizes } from './xlsx/part-sizes.js';
import { limitMet, readInThread } from './xlsx/read-thread.js';
import { SHEET_COLUMNS, sheetExtent, type SheetExtent } from './xlsx/sheet-extent.js';

export interface ReturnedRow {
  line: number; // row number in the sheet
  /** Columns (1)–(9) as text, index 0 = column (1): what we sent, unless someone edited it. */
  shown: string[];
  /** Cells of columns (1)–(13) holding an Excel error value (`#DIV/0!`, `#N/A`…): `(11) #N/A`. */
  errors: string[];
  /** Why column (11)'s date cell cannot be read (a month-first format, dobOf), when so: no Excel error, but no date either. */
  dobProblem?: string;
  maSoBhxh: string; // column (2)
  name: string; // (10)
  dob: string; // (11)
  sex: string; // (12)
  number: string; // (13)
}

export interface ReturnedForm {
  unit: string; // Mã đơn vị
  rows: readonly ReturnedRow[];
  /** The day of the data the list was made from (`(Số liệu đến ngày 03/06/2024)` under its title), when it reads. */
  issuedOn?: CalendarDate | null;
}

/** How far down the table head may be. */
const HEAD_SEARCH_ROWS = 60;
const FORM_NO = /^mẫu số\s*0?2$/i;
const ISSUED_LINE = /Số liệu đến ngày (\d{2})\/(\d{2})\/(\d{4})/;
const TITLE_PART = 'CHƯA KHỚP VỚI CSDL QUỐC GIA VỀ DÂN CƯ';
const UNIT_LINE = /^mã đơn vị\s*:\s*(.*)$/i;
/** `Tên đơn vị: (chưa có mã đơn vị)`: the name line of the list of a province's people without a unit code (mau01.ts unitIntro). */
const NO_UNIT_NAME = /^tên đơn vị\s*:\s*\(chưa có mã đơn vị\)$/i;
const COLUMN_NO = /^\((\d{1,2})\)$/;
// What follows the table: the notes, the place-and-date line, the signatures.
const FOOTER = /^ghi chú|, ngày \S+ tháng \S+ năm \S+$|^người lập biểu$|^thủ trưởng đơn vị$|^\(ký, ghi rõ/i;

/**
 * The longest text a cell of the form is read as: 4 096 characters, far past any name, number or column (9) ddcn
 * writes, so that a longer one is still refused for its length downstream. Cut before anything else is done with
 * it: one 10 MB text shown in every cell cost 14 ms a cell to normalise (a 68 KB upload held a reading slot 40 s).
 */
export const CELL_TEXT_MAX = 4096;

const text = (v: ExcelJS.CellValue): string => {
  const t = cellText(v);
  // Spaces around a value are not part of it (a name followed by 5 000 spaces is the name), up to twice the limit;
  // trimmed once, before the cut and never after it, so that a cut text stays over the limit and is refused whole.
  const s = t.length > 2 * CELL_TEXT_MAX ? t : t.trim().normalize('NFC');
  return s.length > CELL_TEXT_MAX ? cut(s, CELL_TEXT_MAX) : s.trim();
};

/**
 * At most `max` characters and one more, so that a longer text stays longer than `max`; a surrogate pair is never
 * split (the cut then keeps both halves).
 */
function cut(t: string, max: number): string {
  if (t.length <= max) return t;
  const high = t.charCodeAt(max);
  return t.slice(0, high >= 0xd800 && high <= 0xdbff ? max + 2 : max + 1);
}

/**
 * The longest value each column a row's refusal keeps takes (the rejects file, its reason): the code as
 * PLAUSIBLE_CODE reads one, the inputs as the form's own validation allows. A value is kept to one more character
 * than that, so that it is still refused as too long while a row costs the rejects file a few hundred bytes, whatever
 * the file held (a 141 KB upload of one 4 KB text in every input cell stored 28 MB).
 */
export const INPUT_MAX = { code: 20, name: 100, dob: 10, sex: 10, number: 20 } as const;

/** A returned file refused whole, with what to tell a clerk in the portal (`vi`) besides the operator's message. */
export class ReturnedFileError extends UserError {
  constructor(message: string, readonly vi: string) {
    super(message);
  }
}

/** What column (2) holds in a person's row, however mistyped: digits, with the spaces and dots people put in. */
const PLAUSIBLE_CODE = /^[\d\s.]{1,20}$/;

/** Whether a sheet's first rows hold the form's number (`Mẫu số 02`). */
function isMau02Sheet(ws: ExcelJS.Worksheet): boolean {
  for (let n = 1; n <= Math.min(ws.rowCount, HEAD_SEARCH_ROWS); n++) {
    if ((ws.getRow(n).values as ExcelJS.CellValue[]).some((v) => FORM_NO.test(text(v)))) return true;
  }
  return false;
}

/**
 * The Excel error value a cell holds (itself, or as a formula's result), else null; a number too large for a date
 * in a cell formatted as one is an error too (its number is lost).
 */
function excelError(v: ExcelJS.CellValue): string | null {
  if (notADate(v)) return 'số quá lớn trong ô định dạng ngày (định dạng cột là Text rồi nhập lại)';
  if (v === null || typeof v !== 'object' || v instanceof Date) return null;
  if ('error' in v) return String(v.error);
  // Stryker disable next-line ConditionalExpression: the other objects that get here (rich text, links) have no result: excelError(undefined) is null, as the next line returns
  if ('formula' in v || 'sharedFormula' in v) return excelError((v as ExcelJS.CellFormulaValue).result as ExcelJS.CellValue);
  return null;
}

// Excel's day 0 (excelEpochMs) counts its phantom 29/02/1900, which no birth date reaches back to.
const DAY_MS = 86_400_000;
/** 73 415, 31/12/2100: past the last birth year taken, a number is no serial date of birth. */
const LAST_BIRTH_SERIAL = (Date.UTC(MAX_BIRTH_YEAR, 11, 31) - excelEpochMs(false)) / DAY_MS;

/** Why a date in a cell formatted month first is refused where its day could be its month (monthBeforeDay). */
const MONTH_FIRST_PROBLEM =
  'ngày trong ô định dạng tháng trước ngày (mm/dd/yy, hoặc ngày ngắn theo cài đặt máy tính), không rõ số nào là ngày, ' +
  'số nào là tháng (định dạng cột là Text rồi gõ lại dạng dd/mm/yyyy)';

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * Column (11), a date of birth, as text, and why it cannot be taken (`dobProblem`), if so.
 * A date typed into a cell formatted as a date arrives as a Date, read as the date it shows, dd/mm/yyyy — unless its
 * format shows the month first and its day could be a month (12 or less, not the month itself): the clerk typed
 * `10/07/1964` for 10 July, the spreadsheet took 7 October, and which one is meant is not for us to guess. That row
 * is refused, its date kept as shown (`10/07/1964`) for the rejects file; a day over 12 shows which number is which.
 * A date pasted into our text-formatted column arrives as its serial number (31512 for 10/04/1986): a whole number
 * from 1880 to 2100 is a year, as typed; a larger one up to 31/12/2100 is a serial date. A number past that is none:
 * a cell formatted as a date would have made it a Date, so it was typed into a General or text cell — `02011995`
 * for 02/01/1995 arrives as 2011995, its leading zero lost — and it is kept as typed, to be refused as no date.
 */
function dobOf(cell: ExcelJS.Cell, date1904: boolean): { text: string; problem: string | null } {
  const v = cell.value;
  const raw = v !== null && typeof v === 'object' && !(v instanceof Date) && 'result' in v ? (v.result as ExcelJS.CellValue) : v;
  let date: Date | null = raw instanceof Date ? raw : null;
  // A serial of a workbook in the 1904 date system counts from 1904, as exceljs reads its date cells: from 1900 it was
  // a date of birth four years and a day early, applied as the correction.
  const epoch = excelEpochMs(date1904);
  // A year typed into a cell formatted as a date (`1986`, which the sheet then shows as 08/06/1905) arrives as the
  // Date of that serial: the number typed is the year, as it is in a text cell; it was applied as 08/06/1905.
  const typedYear = date ? yearTypedAsDate(date, date1904) : null;
  if (typedYear !== null) return { text: typedYear, problem: null };
  if (typeof raw === 'number' && Number.isInteger(raw) && raw > MAX_BIRTH_YEAR && raw <= LAST_BIRTH_SERIAL) date = new Date(epoch + raw * DAY_MS);
  if (!date || Number.isNaN(date.getTime())) return { text: text(v), problem: null };
  const [day, month, year] = [date.getUTCDate(), date.getUTCMonth() + 1, date.getUTCFullYear()];
  if (day <= 12 && day !== month && monthBeforeDay(cell.numFmt)) {
    // Excel's built-in short date (id 14, which exceljs reads as mm-dd-yy) shows in each computer's own order: a
    // Vietnamese Excel shows it day first, so that is how it is quoted back (the reason says the order is unknown);
    // an explicit month-first format, as it was seen.
    const shown = cell.numFmt === 'mm-dd-yy' ? `${pad2(day)}/${pad2(month)}/${year}` : `${pad2(month)}/${pad2(day)}/${year}`;
    return { text: shown, problem: MONTH_FIRST_PROBLEM };
  }
  return { text: `${pad2(day)}/${pad2(month)}/${year}`, problem: null };
}

/** What an OLE compound file starts with: the container of an .xls, and of an .xlsx saved with a password. */
const COMPOUND_FILE = Buffer.from('d0cf11e0a1b11ae1', 'hex');
/** The compound file's header (in the first sector), of which the file check reads no more. */
const COMPOUND_HEADER_BYTES = 512;
/** The streams of a workbook saved with a password (MS-OFFCRYPTO): how it is encrypted, and the workbook encrypted. */
const ENCRYPTION_STREAMS = new Set(['EncryptionInfo', 'EncryptedPackage']);
/** Directory sectors looked through: a workbook saved with a password has a dozen entries, 3 sectors of 512 bytes. */
const DIRECTORY_SECTORS_READ = 8;
/** A directory entry: its name (UTF-16LE), then at 0x40 the name's length in bytes with its closing zero. */
const DIRECTORY_ENTRY_BYTES = 128;
/** The last sector number (MAXREGSECT): the FAT's numbers past it are markers (end of chain, free). */
const LAST_SECTOR = 0xfffffffa;

/**
 * Whether a file is a workbook saved with a password (MS-CFB, MS-OFFCRYPTO): Excel and LibreOffice then write an OLE
 * compound file, as for an .xls, whose directory holds the streams EncryptionInfo and EncryptedPackage — the .xlsx
 * inside, encrypted. An .xls has neither. The directory's sectors are followed through the FAT sectors the header
 * lists (the first 109, 7 MB of a file of 512-byte sectors), 8 of them at most, whatever the file claims.
 */
async function savedWithPassword(handle: FileHandle, header: Buffer): Promise<boolean> {
  if (header.length < COMPOUND_HEADER_BYTES || !header.subarray(0, COMPOUND_FILE.length).equals(COMPOUND_FILE)) return false;
  // Sectors of 4 096 bytes (version 4) or 512 (version 3, and taken for any other value: nothing is found in them).
  const size = header.readUInt16LE(0x1e) === 12 ? 4096 : 512;
  const perFatSector = size / 4;
  /** Sector `n`, zeros past the file's end (a directory entry without a name, a FAT entry of 0). */
  const sector = async (n: number) => {
    const b = Buffer.alloc(size);
    await handle.read(b, 0, size, (n + 1) * size);
    return b;
  };
  let next = header.readUInt32LE(0x30);
  for (let i = 0; i < DIRECTORY_SECTORS_READ; i++) {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a shortcut: past the chain's end a sector read past the file holds no name, and its number is past the FAT sectors the header lists, which ends the loop below
    if (next > LAST_SECTOR) return false;
    const entries = await sector(next);
    for (let e = 0; e + DIRECTORY_ENTRY_BYTES <= size; e += DIRECTORY_ENTRY_BYTES) {
      const nameBytes = Math.min(entries.readUInt16LE(e + 0x40), 64);
      if (ENCRYPTION_STREAMS.has(entries.toString('utf16le', e, e + nameBytes - 2))) return true;
    }
    // The next sector's number, in the FAT sector that the header lists for it from 0x4c.
    const listed = 0x4c + 4 * Math.floor(next / perFatSector);
    if (listed >= COMPOUND_HEADER_BYTES) return false;
    next = (await sector(header.readUInt32LE(listed))).readUInt32LE((next % perFatSector) * 4);
  }
  return false;
}

async function checkReadable(file: string): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw cannotOpen(file, err);
  }
  if ((await handle.stat()).isDirectory()) {
    await handle.close();
    // Stryker disable next-line StringLiteral: cannotOpen words a known code (EISDIR) by the code; this message is shown nowhere
    throw cannotOpen(file, Object.assign(new Error('a folder'), { code: 'EISDIR' }));
  }
  const head = Buffer.alloc(COMPOUND_HEADER_BYTES);
  let bytesRead: number;
  let locked: boolean;
  try {
    ({ bytesRead } = await handle.read(head, 0, head.length, 0));
    locked = await savedWithPassword(handle, head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
  if (locked) {
    throw new ReturnedFileError(
      `${file} is a workbook saved with a password (encrypted), which cannot be read: open it, remove the password, save it as ` +
        '"Excel Workbook (.xlsx)" and import it again',
      'Tệp Excel có đặt mật khẩu (đã mã hoá) nên không đọc được. Mở tệp, bỏ mật khẩu, lưu lại dạng "Excel Workbook (.xlsx)" rồi gửi lại.',
    );
  }
  // An OpenDocument file (LibreOffice's .ods, sometimes renamed .xlsx) is a zip too: its first entry, stored
  // uncompressed, is `mimetype` naming it.
  const start = head.subarray(0, bytesRead).toString('latin1');
  if (!start.startsWith('PK') || start.includes('application/vnd.oasis.opendocument')) {
    throw new ReturnedFileError(
      `${file} is not an .xlsx workbook; save the returned Mẫu 02 as "Excel Workbook (.xlsx)" and import it again`,
      'Tệp không phải dạng Excel .xlsx (tệp .ods, .xls hoặc .csv đổi tên?). Mở tệp, chọn Lưu thành "Excel Workbook (.xlsx)" rồi gửi lại.',
    );
  }
}

/**
 * The most a returned Mẫu 02 may unpack to, all its parts together, before it is read: a zip of 1.7 MB can unpack
 * to 1.6 GB (sheets of one repeated letter), which the reader would build in memory (1.5 GB of RSS, 13 s). The
 * list as ddcn writes it unpacks to ~0.8 KB a person (5 000 people: 4.0 MB); say twice that once a spreadsheet
 * saves it again: 64 MB is a Mẫu 02 of some 40 000 people.
 * The portal asks less, from its upload's row limit (UPLOAD_UNPACKED_PER_ROW).
 */
export const RETURNED_UNPACKED_LIMIT = 64 * 1024 * 1024;

/**
 * What a sheet of a returned Mẫu 02 may make the reader build (sheet-extent.ts): rows (the portal: its upload's row
 * limit and 1 000 more, for the heading, signatures and notes), columns (the form has 14; a clerk's notes beside
 * them), and cells in merged ranges (the form merges a few hundred).
 */
export const RETURNED_ROW_LIMIT = 100_000;
const RETURNED_COLUMN_LIMIT = 256;
const RETURNED_MERGED_LIMIT = 100_000;
/** exceljs compares each merged range with every earlier one: 50 000 small merges cost 169 s. */
const RETURNED_MERGES_LIMIT = 2_000;

/** Checks what a returned Mẫu 02 unpacks to, and what it would make the reader build; the bytes it unpacks to. */
async function checkUnpackedSize(file: string, limit: number, maxRows: number): Promise<number> {
  const damaged = () =>
    new ReturnedFileError(
      `${file} is not a readable .xlsx workbook (its zip structure is damaged or unusual): save the returned Mẫu 02 again from Excel and import it again`,
      'Tệp Excel bị hỏng (không đọc được cấu trúc tệp). Mở tệp, lưu lại dạng "Excel Workbook (.xlsx)" rồi gửi lại.',
    );
  const sizes = await xlsxPartSizes(file);
  if (!sizes) throw damaged();
  // What the directory states, then — as it may lie — what the parts really inflate to, stopping at the limit.
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  const cells = RETURNED_MERGED_LIMIT + 8 * maxRows;
  let extent: SheetExtent | null = null;
  let unpacked = 0;
  const inflated = total > limit ? 'over' : await unpackedWithin(file, { total: limit }, (_name, data) => {
    unpacked += data.length;
    if (extent) return;
    const e = sheetExtent(data);
    // The form validates columns (10)–(13) of each person's row (4 cells a row, 8 allowed) and merges a few dozen ranges.
    const built = e.merged + e.validated + e.named;
    if (e.rows > maxRows || e.columns > RETURNED_COLUMN_LIMIT || e.columnDefinitions > SHEET_COLUMNS || e.merges > RETURNED_MERGES_LIMIT || built > cells) extent = e;
  });
  if (inflated === 'unreadable') throw damaged();
  if (extent) {
    const e: SheetExtent = extent;
    // Named ranges a clerk never made: a spreadsheet names the range of an autofilter (LibreOffice's filter on
    // A14:N1048576, set from the numbered row down to the sheet's end), which is what they can undo.
    const named = e.named > cells;
    throw new ReturnedFileError(
      `${file}: a part reaches row ${e.rows}, column ${e.columns}, with ${e.merges} merged ranges (${e.merged} cells), ${e.validated} cells under ` +
        `data validation and ${e.named} in named ranges (at most ${maxRows} rows, ${RETURNED_COLUMN_LIMIT} columns, ${RETURNED_MERGES_LIMIT} ` +
        `merged ranges, ${cells} cells in all): remove what was added beyond the list, or copy the list into ` +
        'the Mẫu 02 the office sent, and import it again' +
        (named ? ' (an AutoFilter set down to the sheet\'s last row names such a range: turn the filter off, Data → AutoFilter, and save again)' : ''),
      `Trang tính vượt quá kích thước của Mẫu số 02 (đến dòng ${e.rows}, cột ${e.columns}, ${e.merges} vùng gộp ô, ` +
        `${e.validated} ô có kiểm tra dữ liệu, ${e.named} ô trong vùng đặt tên). ` +
        (named
          ? 'Thường do bộ lọc (AutoFilter) đặt đến dòng cuối trang tính: tắt bộ lọc (Dữ liệu → Lọc tự động / Data → AutoFilter), lưu lại rồi gửi lại.'
          : 'Xoá phần thêm ngoài danh sách (hoặc chép danh sách sang Mẫu số 02 đã nhận) rồi gửi lại.'),
    );
  }
  if (inflated === 'over') {
    const mb = (n: number) => Math.ceil(n / 1024 / 1024);
    const stated = total > limit;
    throw new ReturnedFileError(
      `${file} unpacks to ${stated ? `${mb(total)} MB` : `more than ${mb(limit)} MB`} (at most ${mb(limit)} MB for a returned Mẫu 02): keep only ` +
        'the Mẫu 02 sheet, without pictures or other sheets, and import it again',
      `Tệp quá lớn khi giải nén (${stated ? `${mb(total)} MB` : `hơn ${mb(limit)} MB`}, tối đa ${mb(limit)} MB). ` +
        'Chỉ giữ trang Mẫu số 02 (xoá các trang, hình ảnh khác) rồi gửi lại.',
    );
  }
  return unpacked;
}

/** What a returned Mẫu 02 may cost the thread that reads it (read-thread.ts). */
export interface ReturnedReadLimits {
  /** All its parts together, unpacked (RETURNED_UNPACKED_LIMIT). */
  unpackedBytes?: number;
  /** A sheet's rows (RETURNED_ROW_LIMIT). */
  sheetRows?: number;
  /** The reading thread's heap, in MB (RETURNED_HEAP_MB). */
  heapMb?: number;
  /** The reading thread's time (RETURNED_READ_MS). */
  timeoutMs?: number;
}

/**
 * The reading thread's heap and time. Measured (scripts/bench-read-workbooks.ts) on Mẫu 02 as ddcn writes them and as a
 * spreadsheet saves them again filled in: 5 000 people read in 1.0 s with a heap of 48 MB at the least; 40 000 people
 * (3.4 MB zipped, near the 64 MB unpacked limit) in 3.3–4.1 s with 224–263 MB. Four times the largest, and thirty
 * times the time: a slow or busy machine never meets them, a workbook built to make the reader run away soon does.
 * The portal gives less, from its upload's row limit (routes/corrections.ts).
 */
export const RETURNED_HEAP_MB = 1024;
export const RETURNED_READ_MS = 120_000;

/** What the reading thread's result may hold beyond twice the file unpacked (a form of 5 000 people: 0.42 times). */
const RESULT_SLACK = 64 * 1024;

/**
 * Reads a returned Mẫu 02: checks first what its zip says and holds (cheap, linear, on this thread), then reads it
 * whole with exceljs on a thread of its own within `heapMb` and `timeoutMs`, so that a workbook built to make the
 * reader run away costs a refusal, never the process. The whole workbook at once: a returned Mẫu 02 holds one unit's
 * unmatched people, and the full reader goes by the zip's central directory, which every producer writes correctly.
 * (exceljs's streaming reader misreads, now and then, entries stored with a data descriptor.)
 */
export async function openReturnedMau02(file: string, limits: ReturnedReadLimits = {}): Promise<ReturnedForm> {
  const maxRows = limits.sheetRows ?? RETURNED_ROW_LIMIT;
  const unpackedBytes = limits.unpackedBytes ?? RETURNED_UNPACKED_LIMIT;
  await checkReadable(file);
  const unpacked = await checkUnpackedSize(file, unpackedBytes, maxRows);
  const heapMb = limits.heapMb ?? RETURNED_HEAP_MB;
  const timeoutMs = limits.timeoutMs ?? RETURNED_READ_MS;
  // Its text can be no more than the file holds unpacked, twice over (columns (1)–(9) are read twice), and a little
  // for the rows' shape: more is one text shown in many cells.
  const maxResultBytes = 2 * unpacked + RESULT_SLACK;
  const threadLimits = { heapMb, timeoutMs, maxResultBytes };
  const read = await readInThread<ReturnedForm>(new URL(import.meta.url), 'readReturnedSheet', file, threadLimits);
  if (read.ok) return read.value;
  if ('limit' in read) {
    throw new ReturnedFileError(
      `${file} ${limitMet(read.limit, threadLimits)} (a Mẫu 02 as ddcn writes it needs a small part of that): copy the list into the Mẫu 02 the office ` +
        'sent, without other sheets, pictures or formatting added, and import it again',
      read.limit === 'size'
        ? 'Tệp có nội dung rất dài lặp lại ở nhiều ô (khi đọc ra lớn hơn gấp đôi tệp). Chép danh sách sang Mẫu số 02 đã nhận, ' +
            'chỉ điền cột (10)–(13), rồi gửi lại.'
        : 'Tệp Excel quá nặng để đọc (cần quá nhiều bộ nhớ hoặc thời gian). Chép danh sách sang Mẫu số 02 đã nhận, ' +
            'không thêm trang tính, hình ảnh hay định dạng, rồi gửi lại.',
    );
  }
  const e = read.error;
  if (e.vi !== undefined) throw new ReturnedFileError(e.message, e.vi);
  if (e.user) throw new UserError(e.message);
  throw new Error(e.message);
}

/** The reading thread's part: the sheet read with exceljs, all its rows (export of openReturnedMau02's thread). */
export async function readReturnedSheet(file: string): Promise<ReturnedForm> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.readFile(file);
  } catch (err) {
    throw new UserError(`${file} is not a readable .xlsx workbook: ${(err as Error).message}`, { cause: err });
  }
  // The Mẫu 02 sheet, wherever the clerk moved it: the first visible sheet with the form's number at its top, else
  // the first visible one (whose refusal below then says what is missing).
  const visible = wb.worksheets.filter((w) => w.state === 'visible');
  const forms = visible.filter(isMau02Sheet);
  // Two of them (the list as sent and a filled-in copy, say): which one the unit meant is not for us to guess.
  if (forms.length > 1) {
    const names = forms.map((w) => `"${w.name}"`).join(', ');
    throw new ReturnedFileError(
      `${file} has ${forms.length} sheets with "Mẫu số 02" at the top (${names}): keep only the filled-in one and import it again`,
      `Tệp có ${forms.length} trang tính Mẫu số 02 (${names}). Xoá các trang không dùng, chỉ giữ trang đã điền, rồi gửi lại.`,
    );
  }
  const date1904 = usesDate1904(wb);
  const ws = forms[0] ?? visible[0];
  if (!ws) throw new UserError(`${file} has no visible worksheet`);
  const sheet: ExcelJS.Worksheet = ws;
  const last = ws.rowCount;
  const valuesOf = (n: number) => ws.getRow(n).values as ExcelJS.CellValue[];

  let formNo = false;
  let title = false;
  let unit: string | null = null;
  let unitless = false;
  let issuedOn: CalendarDate | null = null;
  let columns: Map<number, number> | null = null; // column number on the form → sheet column
  let numberedRow = 0;
  for (let n = 1; n <= Math.min(last, HEAD_SEARCH_ROWS) && !columns; n++) {
    const values = valuesOf(n);
    const numbered = new Map<number, number>();
    // Every cell, empty ones too (an empty text matches none of the patterns); index 0 is always empty.
    for (const [c, v] of values.entries()) {
      const t = text(v);
      if (FORM_NO.test(t)) formNo = true;
      if (t.toLocaleUpperCase('vi').includes(TITLE_PART)) title = true;
      // The cell's text is trimmed and `\s*` takes the spaces after the colon: the code has none around it.
      const u = UNIT_LINE.exec(t);
      if (u && unit === null) unit = u[1]!;
      if (NO_UNIT_NAME.test(t)) unitless = true;
      const day = ISSUED_LINE.exec(t);
      if (day && issuedOn === null) issuedOn = parseIsoDate(`${day[3]}-${day[2]}-${day[1]}`);
      const no = COLUMN_NO.exec(t);
      if (no) numbered.set(Number(no[1]), c);
    }
    if ([2, ...Object.values(INPUT_COLUMNS)].every((k) => numbered.has(k))) {
      columns = numbered;
      numberedRow = n;
    }
  }
  if (!formNo || !title) {
    throw new UserError(`${file} is not a Mẫu số 02 (no "Mẫu số 02" and list title at the top of any visible sheet); import the list that \`ddcn lists\` wrote`);
  }
  // Empty as `ddcn lists` writes it on the list of a province's people without a unit code (`_chua-co-ma-don-vi`): no
  // unit can return it, and there is none to check its rows against. Said as such, with the way that does work.
  // Its name line says so: a unit's own list whose code the clerk emptied is a missing code (below), not that list.
  if (unit === '' && unitless) {
    throw new ReturnedFileError(
      `${file} is the Mẫu 02 of people without a unit code ("Mã đơn vị:" empty, as ddcn lists writes it): it cannot be returned with corrections; give them their unit code in the participants file and import it again, then their unit's Mẫu 02 lists them`,
      'Đây là Mẫu số 02 của những người chưa có mã đơn vị (dòng "Mã đơn vị:" để trống): không nhận điều chỉnh qua danh sách này. Cần bổ sung mã đơn vị của họ trong dữ liệu người tham gia; sau đó họ có tên trong Mẫu số 02 của đơn vị mình.',
    );
  }
  if (!unit) throw new UserError(`${file}: the "Mã đơn vị:" line above the table is missing or empty`);
  if (!columns) throw new UserError(`${file}: no row numbering the columns (1) … (14) above the table`);
  const col = columns;
  const at = (values: ExcelJS.CellValue[], k: number) => text(values[col.get(k)!]);

  // Something typed in (10)–(13) on this row itself: a cell a merge covers holds its first cell's value, not this row's.
  const typedHere = (row: ExcelJS.Row) =>
    Object.values(INPUT_COLUMNS).some((k) => {
      const c = row.getCell(col.get(k)!);
      return c.type !== ExcelJS.ValueType.Merge && text(c.value) !== '';
    });
  /** The row's number in column (1) and something typed in (10)–(13): a person's row, whatever its code. */
  const numberedWithValues = (row: ExcelJS.Row, values: ExcelJS.CellValue[]) => typedHere(row) && col.has(1) && /^\d+$/.test(at(values, 1));
  const personLike = (row: ExcelJS.Row, values: ExcelJS.CellValue[]): boolean => {
    // Column (2) covered by a merge holds its first cell's text, not this row's (a note merged across the row; a
    // remark merged over several). Covered from above in (2) alone, under a code (a person given a second line):
    // read when something was typed on this line itself — refused as the person's second row, as before any note,
    // not dropped.
    const codeCell = row.getCell(col.get(2)!);
    if (codeCell.type === ExcelJS.ValueType.Merge) {
      return codeCell.master.col === codeCell.col && PLAUSIBLE_CODE.test(text(codeCell.master.value)) && typedHere(row);
    }
    return PLAUSIBLE_CODE.test(at(values, 2)) || numberedWithValues(row, values);
  };

  const rows: ReturnedRow[] = [];
  let footer = false;
  // The rows that hold something, not every number up to the last: a spreadsheet may write empty rows far below
  // (LibreOffice, after a row is deleted, writes the sheet's last two), and a row without a value is no one's.
  const below: ExcelJS.Row[] = [];
  sheet.eachRow((row, n) => void (n > numberedRow && below.push(row)));
  for (const row of below) {
    const n = row.number;
    const values = row.values as ExcelJS.CellValue[];
    // The notes and signatures under the table are not people. From the first of them (a row without a code in
    // column (2) that reads as one: a note merged across the row fills (2) with the note), a row is read only
    // when it looks like a person's: a code in an unmerged column (2), or the row's number in column (1) with
    // something in (10)–(13) — so that a mistyped or emptied code after a note is refused with its reason, not
    // dropped, while the signers' names typed under the signatures are no row at all. A clerk's note in a
    // person's row, or a note row inserted into the table, ends nothing.
    const code = at(values, 2);
    const footerRow = !PLAUSIBLE_CODE.test(code) && !numberedWithValues(row, values) && values.some((v) => FOOTER.test(text(v)));
    footer ||= footerRow;
    if (footerRow || (footer && !personLike(row, values))) continue;
    const errors: string[] = [];
    for (let k = 1; k <= INPUT_COLUMNS.number; k++) {
      const c = col.get(k);
      // Stryker disable next-line ConditionalExpression: without the guard a column missing from the numbered row reads values[undefined], an empty cell, and excelError of an empty cell is null too
      const e = c === undefined ? null : excelError(values[c]);
      if (e) errors.push(`(${k}) ${e}`);
    }
    const dob = dobOf(row.getCell(col.get(INPUT_COLUMNS.dob)!), date1904);

    const shown = Array.from({ length: 9 }, (_, i) => (col.has(i + 1) ? at(values, i + 1) : ''));
    rows.push({
      line: n,
      shown,
      errors,
      ...(dob.problem ? { dobProblem: dob.problem } : {}),
      maSoBhxh: cut(at(values, 2), INPUT_MAX.code),
      name: cut(typed(at(values, INPUT_COLUMNS.name)), INPUT_MAX.name),
      dob: cut(typed(dob.text), INPUT_MAX.dob),
      sex: cut(typed(at(values, INPUT_COLUMNS.sex)), INPUT_MAX.sex),
      number: cut(typed(at(values, INPUT_COLUMNS.number)), INPUT_MAX.number),
    });
  }
  return { unit, rows, issuedOn };
}
