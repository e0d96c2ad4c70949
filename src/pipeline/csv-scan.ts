// A CSV reader that accounts for every physical line, whatever the bytes. Hand-written rather than fast-csv because
// fast-csv cannot do what the import promises: it stops at the first unbalanced quote (and echoes the next row in
// its error), numbers records rather than physical lines, and grows a field without bound (a 10 MB field took 44 s
// and 900 MB). Measured with scripts/bench-parsers.ts on the 1 M-row benchmark file (193 MB), in CPU seconds
// because the shared machine ran at a load average of 25–30: this reader 3.5 s, fast-csv 30.9 s (papaparse and
// udsv were not installed; the script measures them when they are).
import { StringDecoder } from 'node:string_decoder';
import { CONTROL } from './table-row.js';

/** One record: the physical line it starts on (1 = first line of the file), its fields, or why it is refused. */
export interface CsvRecord {
  line: number;
  cells: string[];
  problem?: string;
  /** The record's text as read (its lines joined by \n). */
  text?: string;
  /** A field holds a control character (table-row.ts CONTROL): for the reader of the table to judge, not a problem. */
  control?: true;
}

/** The longest physical line kept; longer ones are rejected without being held (memory stays bounded). */
export const MAX_LINE_CHARS = 64 * 1024;
/** A record may continue over this many physical lines (a quoted field holding line breaks). */
export const MAX_RECORD_LINES = 20;
/** What a reject keeps of an over-long line: its beginning, enough to find it. */
const PREVIEW_CHARS = 200;

const NEEDS_SLOW_PATH = /"/;

/** What the decoder gives for bytes that are not UTF-8. */
const UNREADABLE = '\uFFFD';
/** U+FFFD in UTF-8. */
const FFFD_BYTES = Buffer.from(UNREADABLE, 'utf8');
/** What U+FFFD written in the file is read as until its line is taken (CsvScanner decode): a noncharacter of the same length in UTF-8. */
const LITERAL_FFFD = '\uFDD0';
const LITERAL_FFFD_BYTES = Buffer.from(LITERAL_FFFD, 'utf8');
const EMPTY = Buffer.alloc(0);

/**
 * Why a record holding the character U+FFFD itself is rejected: the file is UTF-8, but the text says a letter was
 * lost by a conversion before the export (`Nguy\uFFFDn`), which saving the file again does not bring back.
 */
function lostLetter(cells: readonly string[]): string {
  const at = cells.findIndex((c) => c.includes(LITERAL_FFFD));
  return `field ${at + 1} holds the character \uFFFD (U+FFFD), put where a conversion before the export lost a letter: correct the value where the file is exported from, and export again`;
}

/** Why a record whose text is not UTF-8 is rejected. */
export const NOT_UTF8 = 'contains bytes that are not UTF-8; save the file as "CSV UTF-8"';

/** A record whose fields do not number the header's. */
const fieldCountProblem = (got: number, header: number) => `has ${got} fields, the header has ${header}`;
/** A line of a record whose quote never closed properly, or one read after it before the scanner resynchronised. */
const unbalancedProblem = (from: number) => `unbalanced quote from line ${from}`;

/**
 * Whether a record's problem is one a last line cut short by the end of the file gets: too few fields, or a quote left
 * open (the two problems above). The import tells a file cut in the middle of a line by it (import-participants.ts).
 */
export const cutShortProblem = (problem: string): boolean =>
  /^has \d+ fields?, the header has \d+$|^unbalanced quote from line \d+$/.test(problem);

/**
 * The texts Excel writes into a CSV for a cell that shows an error: a formula that failed (`=VLOOKUP(…)` giving #N/A
 * down a column) became a name, a date or a number of everyone it touched. No participant's or target's value is
 * one, and a workbook's error cell refuses its row (cell-text.ts cellErrorProblem): so does its text here.
 */
const SPREADSHEET_ERRORS = new Set(['#ERROR!' /* Google Sheets': a formula it cannot parse */, '#N/A', '#VALUE!', '#REF!', '#DIV/0!', '#NUM!', '#NAME?', '#NULL!', '#SPILL!', '#CALC!', '#FIELD!', '#GETTING_DATA', '#BLOCKED!', '#CONNECT!', '#BUSY!', '#UNKNOWN!']);
/**
 * A field written as a formula whose value is its text, `="0100000001"`: how exports made for Excel keep a number's
 * leading zeros (Excel opens `0100000001` as the number 100000001). The text inside is the value. Written as
 * `"=""0100000001"""` in CSV's quoting, the field reads the same.
 */
const EXCEL_TEXT = /^\s*="([^"]*)"\s*$/;

/** LibreOffice's own: `Err:502`. */
const LIBREOFFICE_ERROR = /^Err:\d{3}$/;

/** Why a record with a spreadsheet error's text in a field is refused, naming the field (the error is no one's data). */
function spreadsheetError(cells: readonly string[]): string | undefined {
  const at = cells.findIndex((c) => SPREADSHEET_ERRORS.has(c.trim().toUpperCase()) || LIBREOFFICE_ERROR.test(c.trim()));
  return at < 0 ? undefined : `field ${at + 1}: ${cells[at]!.trim()} is a spreadsheet's error (a formula that failed), not a value: correct it in the sheet and export again`;
}

/**
 * What separates the fields: a comma, or a semicolon in a file whose header it cuts into more fields than the comma
 * does — what Excel writes as "CSV" (and "CSV UTF-8") where the list separator is `;`, as in Vietnamese regional
 * settings.
 */
export type Separator = ',' | ';';

/** Splits one record's text at `sep`. `open` when a quoted field is still open at the end of the text. */
export function splitRecord(text: string, sep: Separator = ','): { cells: string[]; open: boolean; problem?: string } {
  if (!NEEDS_SLOW_PATH.test(text)) return { cells: text.split(sep), open: false };
  const sepCode = sep.charCodeAt(0);
  const cells: string[] = [];
  let problem: string | undefined;
  let cell = '';
  let i = 0;
  const n = text.length;
  for (;;) {
    // At the start of a field.
    if (text.charCodeAt(i) === 34 /* " */) {
      i += 1;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return { cells, open: true };
        cell += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 34) {
          cell += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      // After the closing quote only a separator or the end may follow.
      if (i < n && text.charCodeAt(i) !== sepCode) {
        problem ??= `field ${cells.length + 1} has text after its closing quote`;
        const c = text.indexOf(sep, i);
        cell += c < 0 ? text.slice(i) : text.slice(i, c);
        i = c < 0 ? n : c;
      }
    } else {
      const c = text.indexOf(sep, i);
      // A quote inside an unquoted field is an ordinary character (as Excel writes `5"`).
      cell = c < 0 ? text.slice(i) : text.slice(i, c);
      i = c < 0 ? n : c;
    }
    cells.push(cell);
    cell = '';
    if (i >= n) break;
    i += 1; // the separator
    if (i === n) {
      cells.push('');
      break;
    }
  }
  return problem ? { cells, open: false, problem } : { cells, open: false };
}

interface Pending {
  start: number;
  lines: string[];
}

/**
 * Push-style scanner: feed it buffers, take the records. Lines are split on \n (a trailing \r is dropped); a line
 * with a quoted field left open is joined with the following ones, up to MAX_RECORD_LINES. A multi-line record that
 * never closes, or closes with the wrong number of fields, is an unbalanced quote: its first line is rejected and
 * every following line is tried again on its own; those that still do not parse as a record are rejected as
 * "unbalanced quote from line N" until one does (resynchronisation).
 */
export class CsvScanner {
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';
  private carryTooLong = false;
  private lineNo = 0;
  private pending: Pending | null = null;
  private resyncFrom = 0; // the line whose quote broke the lines after it, while resynchronising
  private out: CsvRecord[] = [];
  /** Fields per record, from the first record (the header); until then any count is accepted. */
  private expected: number | undefined;
  /** Decided on the header's line (Separator), or by a `sep=` line before it. */
  private sep: Separator = ',';
  private hinted = false;
  /** Bytes of a U+FFFD cut by the end of a read (decode). */
  private held: Buffer = EMPTY;
  /** Whether the file held the character U+FFFD itself, read as LITERAL_FFFD (decode). */
  private literal = false;

  /**
   * `from`: scan a part of a file that starts at a line start after `lines` physical lines, where a scanner of the
   * part before stood clean (see `clean`) with a header of `fields` fields. Its records are then exactly those a
   * scanner of the whole file would give for that part.
   */
  constructor(from?: { lines: number; fields: number; separator: Separator }) {
    if (from) {
      this.lineNo = from.lines;
      this.expected = from.fields;
      this.sep = from.separator;
    }
  }

  /** The file's separator, once its header has been read. */
  get separator(): Separator {
    return this.sep;
  }

  /**
   * Whether the input so far ends at a line end outside any record: nothing carried, no quoted field open, not
   * resynchronising after an unbalanced quote. A scanner of what follows can then start afresh (constructor `from`).
   */
  get clean(): boolean {
    return this.carry === '' && !this.carryTooLong && this.pending === null && this.resyncFrom === 0;
  }

  push(buf: Buffer): CsvRecord[] {
    this.take(this.decode(buf));
    return this.drain();
  }

  end(): CsvRecord[] {
    this.take(this.decode(Buffer.alloc(0)) + this.decoder.end());
    if (this.carry !== '' || this.carryTooLong) this.line(this.carry);
    this.carry = '';
    this.carryTooLong = false;
    if (this.pending) this.unbalanced();
    return this.drain();
  }

  /**
   * Decodes the next bytes. The decoder gives U+FFFD for bytes that are not UTF-8 (NOT_UTF8), and a UTF-8 file may
   * hold the character itself (EF BF BD: a letter a conversion lost before the export, `Nguy\uFFFDn`), whose row was
   * rejected as 'bytes that are not UTF-8; save the file as "CSV UTF-8"', which the file already was: it is rejected
   * saying what it is (lostLetter). So that the two read apart, the character's bytes
   * are decoded as LITERAL_FFFD, a noncharacter, and given back as U+FFFD with the records (drain()). Its bytes cut between
   * two reads wait for the next: a reading from a line start (the second thread's) gives the same text.
   */
  private decode(buf: Buffer): string {
    let bytes = this.held.length ? Buffer.concat([this.held, buf]) : buf;
    this.held = EMPTY;
    if (buf.length > 0) {
      // An end that may be the start of EF BF BD waits for the bytes after it.
      const n = bytes.length;
      const keep = bytes[n - 1] === 0xef ? 1 : n >= 2 && bytes[n - 2] === 0xef && bytes[n - 1] === 0xbf ? 2 : 0;
      if (keep) {
        this.held = Buffer.from(bytes.subarray(n - keep));
        bytes = bytes.subarray(0, n - keep);
      }
    }
    if (bytes.indexOf(FFFD_BYTES) >= 0) {
      bytes = Buffer.from(bytes); // the caller's buffer is not changed
      for (let i = bytes.indexOf(FFFD_BYTES); i >= 0; i = bytes.indexOf(FFFD_BYTES, i + 3)) LITERAL_FFFD_BYTES.copy(bytes, i);
      this.literal = true;
    }
    return this.decoder.write(bytes);
  }

  private drain(): CsvRecord[] {
    const out = this.out;
    this.out = [];
    // The character U+FFFD the file held is itself again, once the records were judged (NOT_UTF8 is for the bytes
    // that are not UTF-8 alone).
    if (this.literal) {
      for (const r of out) {
        r.cells = r.cells.map((c) => c.replaceAll(LITERAL_FFFD, UNREADABLE));
        if (r.text !== undefined) r.text = r.text.replaceAll(LITERAL_FFFD, UNREADABLE);
      }
    }
    return out;
  }

  private take(s: string): void {
    let pos = 0;
    for (;;) {
      const nl = s.indexOf('\n', pos);
      if (nl < 0) {
        this.append(s.slice(pos));
        return;
      }
      if (this.carry === '' && !this.carryTooLong) this.line(s.slice(pos, nl));
      else {
        this.append(s.slice(pos, nl));
        this.line(this.carry);
        this.carry = '';
        this.carryTooLong = false;
      }
      pos = nl + 1;
    }
  }

  /**
   * Keeps the start of an unfinished line; past the limit only a preview is kept and the rest is skipped. One
   * character more than the limit is kept, which may be the line's closing \r: line() decides on the line without
   * it, as for a line read in one piece, so the outcome does not depend on where the buffers were cut.
   */
  private append(part: string): void {
    if (this.carryTooLong) return;
    if (this.carry.length + part.length > MAX_LINE_CHARS + 1) {
      this.carry = (this.carry + part.slice(0, PREVIEW_CHARS)).slice(0, PREVIEW_CHARS);
      this.carryTooLong = true;
    } else this.carry += part;
  }

  private line(raw: string): void {
    this.lineNo += 1;
    // The byte-order mark Excel's "CSV UTF-8" (and R, pandas' utf-8-sig) writes is no character of the first field: a
    // quoted header behind it (`\uFEFF"ma_so_bhxh",…`) read as the text `"ma_so_bhxh"`, and the file had no key
    // column. Only the file's first line can hold it (a part read from its middle starts past line 1).
    if (this.lineNo === 1 && raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
    // A preview (carryTooLong) is the line's first characters, its \r included, as when it is cut below.
    const text = !this.carryTooLong && raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (this.carryTooLong || text.length > MAX_LINE_CHARS) {
      // An over-long line ends whatever record was open: the next line starts afresh.
      if (this.pending) this.unbalanced();
      this.out.push({
        line: this.lineNo,
        cells: [text.slice(0, PREVIEW_CHARS)],
        problem: `line is longer than ${MAX_LINE_CHARS} characters; not read (the first ${PREVIEW_CHARS} are kept here)`,
      });
      return;
    }
    this.feed(this.lineNo, text);
  }

  private feed(lineNo: number, text: string): void {
    if (this.pending) {
      this.pending.lines.push(text);
      this.tryPending();
      return;
    }
    if (text.trim() === '') return; // blank lines are not records
    // `sep=;` (or `sep=,`) on the first line, before the header: the hint some programs write for Excel, which
    // takes it as the separator and does not show the line. It was read as the header ('no "ma_so_bhxh" column.
    // Found: sep='). It is no record; the separator it names is the file's.
    if (this.expected === undefined && !this.hinted && this.lineNo === lineNo && lineNo === 1) {
      const hint = /^\uFEFF?sep=([,;])$/i.exec(text.trim());
      if (hint) {
        this.sep = hint[1] as Separator;
        this.hinted = true;
        return;
      }
    }
    // The header decides: semicolons when they cut it into more fields than commas do (a header cell may hold a
    // comma, `Ghi chú, nếu có`, in a file Excel wrote with semicolons; or a semicolon in a comma file).
    if (this.expected === undefined && !this.hinted && text.includes(';') && splitRecord(text, ';').cells.length > splitRecord(text, ',').cells.length) this.sep = ';';
    if (this.resyncFrom) {
      const r = splitRecord(text, this.sep);
      if (r.open || r.problem || (this.expected !== undefined && r.cells.length !== this.expected)) {
        this.out.push({ line: lineNo, cells: r.open ? [text] : r.cells, problem: unbalancedProblem(this.resyncFrom) });
        return;
      }
      this.resyncFrom = 0;
      this.emit(lineNo, r.cells, undefined, text);
      return;
    }
    // Most records are one line: split at once, and held as pending only when a quoted field is left open (no
    // object and array made per line; tryPending decides a one-line record the same way).
    const r = splitRecord(text, this.sep);
    if (r.open) this.pending = { start: lineNo, lines: [text] };
    else this.emit(lineNo, r.cells, r.problem, text);
  }

  private tryPending(): void {
    const p = this.pending!;
    const text = p.lines.length === 1 ? p.lines[0]! : p.lines.join('\n');
    const r = splitRecord(text, this.sep);
    if (r.open) {
      if (p.lines.length >= MAX_RECORD_LINES || text.length > MAX_LINE_CHARS) this.unbalanced();
      return;
    }
    const multi = p.lines.length > 1;
    if (multi && (r.problem || (this.expected !== undefined && r.cells.length !== this.expected))) {
      this.unbalanced();
      return;
    }
    this.pending = null;
    this.emit(p.start, r.cells, r.problem, text);
  }

  /** The pending record's quote never closed properly: reject its first line, retry the others one by one. */
  private unbalanced(): void {
    const p = this.pending!;
    this.pending = null;
    this.out.push({ line: p.start, cells: [p.lines[0]!], problem: unbalancedProblem(p.start) });
    this.resyncFrom = p.start;
    for (let i = 1; i < p.lines.length; i++) this.feed(p.start + i, p.lines[i]!);
  }

  private emit(line: number, cells: string[], problem: string | undefined, text: string): void {
    // The first record is the header: it sets how many fields the others must have.
    if (this.expected === undefined) {
      this.expected = cells.length;
      this.out.push(problem ? { line, cells, problem, text } : { line, cells, text });
      return;
    }
    // One look at the whole text first: hardly any line has a `="`.
    if (text.includes('="')) {
      for (let k = 0; k < cells.length; k++) {
        const m = EXCEL_TEXT.exec(cells[k]!);
        if (m) cells[k] = m[1]!;
      }
    }
    const rec: CsvRecord = { line, cells, text };
    const why =
      problem ??
      (this.expected !== undefined && cells.length !== this.expected
        ? fieldCountProblem(cells.length, this.expected)
        : undefined) ??
      (text.includes(UNREADABLE) ? NOT_UTF8 : undefined) ??
      (this.literal && text.includes(LITERAL_FFFD) ? lostLetter(cells) : undefined) ??
      // One look at the whole text first: hardly any line has a '#' or an 'Err:'.
      (text.includes('#') || text.includes('Err:') ? spreadsheetError(cells) : undefined);
    if (why) rec.problem = why;
    // A control character is a bad value, not a broken line: which field holds it, and what that means, is for the
    // table's reader to decide (a participant's key, another value). One look at the whole text: nearly every line
    // is clean, and the cells then need no look of their own.
    else if (CONTROL.test(text)) rec.control = true;
    this.out.push(rec);
  }
}
