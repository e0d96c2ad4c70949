import path from 'node:path';
import { finishImportRun, startImportRun } from '../db/import-runs.js';
import { applyCorrections, correctionKey, recordedCorrections, replacedSince, type CorrectionInput, type CorrectionOutcome } from '../db/corrections.js';
import { listRowsOf } from '../db/lists.js';
import { editedColumns, editedReason, unsafeValues } from './corrections-check.js';
import { INPUT_MAX, openReturnedMau02, type ReturnedForm, type ReturnedRow } from '../reports/read-mau02.js';
import type { Deps } from './deps.js';
import type { Queryable } from '../db/pool.js';
import { normalizeParticipantRow } from './participant-row.js';
import { capitalisedName } from '../domain/correction-rules.js';
import { parseBirthDate } from '../domain/dates.js';
import { RejectsFile } from './rejects-file.js';
import type { ListRow } from '../domain/list-row.js';
import { endOfDay, startOfDay, type CalendarDate } from '../reports/vn-date.js';

export interface CorrectionsResult {
  importId: number;
  unit: string;
  rowsRead: number; // people rows of the table
  corrected: number; // people whose record changed
  fields: number; // field values changed
  unchanged: number; // filled in, but equal to what is on file
  empty: number; // columns (10)–(13) left empty
  rejected: number;
  rejectsFile: string;
}

/** Rows per transaction: a failure leaves whole chunks applied, never part of a row. */
const CHUNK_ROWS = 500;

const REJECTS_HEADER = ['dong', 'ly_do', 'ma_so_bhxh', 'cot_10_ho_ten', 'cot_11_ngay_sinh', 'cot_12_gioi_tinh', 'cot_13_so_ddcn'];

type Checked = { kind: 'empty' } | { kind: 'rejected'; reason: string } | { kind: 'ok'; input: CorrectionInput };

/**
 * The same rules as `ddcn import participants`, but a value the unit filled in that cannot be read rejects the
 * row, and so do an Excel error value, a control or direction-changing character and an over-long value.
 * `now`: a date of birth after it is not a date of birth.
 */
export function checkReturnedRow(r: ReturnedRow, now?: Date): Checked {
  if (!r.name && !r.dob && !r.sex && !r.number && r.errors.length === 0) return { kind: 'empty' };
  if (!r.maSoBhxh) return { kind: 'rejected', reason: 'Thiếu mã số BHXH ở cột (2)' };
  const unsafe = unsafeValues(r);
  if (unsafe.length) return { kind: 'rejected', reason: unsafe.join('; ') };
  const res = normalizeParticipantRow({ ma_so_bhxh: r.maSoBhxh, ho_ten: r.name, ngay_sinh: r.dob, gioi_tinh: r.sex, so_giay_to: r.number }, now);
  if (!res.ok) {
    const digits = codeOf(r);
    const hint = /^\d{9}$/.test(digits) ? ' (mất số 0 ở đầu? định dạng cột là Văn bản)' : '';
    return { kind: 'rejected', reason: `Mã số BHXH "${r.maSoBhxh}" không hợp lệ: cần đủ 10 chữ số${hint}` };
  }
  const rec = res.record;
  const invalid = (field: string) => rec.findings.some((f) => f.field === field && f.code === 'invalid');
  const reasons: string[] = [];
  // A value that cleaning leaves empty (zero-width or other invisible characters only) is no value: never "erase".
  if (r.name && !rec.hoTen) reasons.push(`Cột (10) ${NOTHING_READABLE}`);
  // No name has a digit: one in (10) is a number typed or pasted into the wrong column (the CCCD, the date of birth),
  // and taking it would replace the person's name with it.
  else if (r.name && /\p{Nd}/u.test(rec.hoTen)) reasons.push(`Cột (10) họ và tên "${r.name}" có chữ số: chỉ ghi họ và tên (ngày sinh ghi ở cột (11), số ĐDCN ở cột (13))`);
  // Nor a mark or a sign: what a clerk puts in a column to say "nothing to change" (`x`, `-`, `N/A`, `?`) or a
  // spreadsheet's error typed or pasted as text (`#N/A`) was the person's new name, sent to the registry.
  else if (r.name && NOT_IN_NAMES.test(rec.hoTen)) reasons.push(`Cột (10) họ và tên "${r.name}" có ký tự không có trong họ và tên: chỉ ghi họ và tên đầy đủ; để trống nếu không cần sửa`);
  else if (r.name && [...rec.hoTen.matchAll(/\p{L}/gu)].length < 2) reasons.push(`Cột (10) họ và tên "${r.name}" không phải họ và tên: ghi họ và tên đầy đủ; để trống nếu không cần sửa`);
  // Nor the words a clerk writes there for the same ("không", "như trên", "giữ nguyên"): made of letters, they
  // passed the checks above and became the person's name.
  else if (r.name && isNote(rec.hoTen)) reasons.push(`Cột (10) họ và tên "${r.name}" là lời ghi chú, không phải họ và tên: để trống nếu không cần sửa`);
  // Well formed but after today (parseBirthDate reads it; the import's finding is the same): said as such.
  if (r.dob && invalid('dob') && parseBirthDate(r.dob)) reasons.push(`Cột (11) ngày sinh "${r.dob}" là ngày sau hôm nay: ghi đúng ngày sinh`);
  else if (r.dob && invalid('dob')) reasons.push(`Cột (11) ngày tháng năm sinh "${r.dob}" không hợp lệ: ghi dd/mm/yyyy, mm/yyyy hoặc yyyy`);
  else if (r.dob && rec.ngaySinh === null) reasons.push(`Cột (11) ${NOTHING_READABLE}`);
  if (r.sex && invalid('sex')) reasons.push(`Cột (12) giới tính "${r.sex}" không hợp lệ: ghi Nam hoặc Nữ`);
  else if (r.sex && rec.gioiTinh === null) reasons.push(`Cột (12) ${NOTHING_READABLE}`);
  const numberReason = r.number ? numberShapeProblem(r.number, rec.soGiayTo) : null;
  if (numberReason) reasons.push(numberReason);
  if (reasons.length) return { kind: 'rejected', reason: reasons.join('; ') };
  return {
    kind: 'ok',
    input: {
      line: r.line,
      maSoBhxh: rec.maSoBhxh,
      hoTen: r.name ? capitalisedName(rec.hoTen) : null,
      ngaySinh: r.dob ? rec.ngaySinh : null,
      gioiTinh: r.sex ? rec.gioiTinh : null,
      soGiayTo: r.number ? rec.soGiayTo : null,
      numberRepaired: rec.findings.some((f) => f.field === 'id_number' && f.code === 'repaired'),
      rawNumber: r.number,
    },
  };
}

/**
 * A character no name holds: punctuation and symbols other than the apostrophes (`H'Hen Niê`, stored as `'`), the
 * hyphen and the dot some names are written with.
 */
const NOT_IN_NAMES = /[^\p{L}\p{M}\p{Zs}'’‘ʼ.-]/u;

/**
 * What clerks write in column (10) to say that the name is right, with and without tone marks, as the whole cell.
 * No full name is one of these words alone; "Khổng" (a surname) is not "không": the marks are compared too.
 */
const NO_CHANGE_WORDS = new Set(
  [
    'không', 'khong', 'ko', 'không có', 'khong co', 'không đổi', 'khong doi', 'không thay đổi', 'khong thay doi',
    'không sửa', 'khong sua', 'không cần sửa', 'khong can sua', 'không điều chỉnh', 'khong dieu chinh', 'như trên',
    'nhu tren', 'nt', 'như cũ', 'nhu cu', 'giữ nguyên', 'giu nguyen', 'đúng', 'dung', 'đã đúng', 'da dung', 'đúng rồi',
    'dung roi', 'tên đúng', 'ten dung', 'đúng tên', 'dung ten', 'ok', 'none', 'null', 'nil', 'no', 'na', 'trống', 'trong',
  ].map((w) => w.normalize('NFC')),
);

/**
 * The words a note for the same is made of, however worded ("Ko đổi", "Không thay đổi gì", "Giữ nguyên họ tên", "Họ
 * tên đúng"): one opens it, in the surname's place, where no name has it (marks compared: "Khổng", "Hồ", "Nhữ"
 * typed without them are not these), and every other word is one of NOTE_WORDS.
 */
const NOTE_OPENERS = new Set(['không', 'ko', 'k', 'giữ', 'giu', 'đúng', 'như', 'tên', 'họ', 'đã', 'vẫn'].map((w) => w.normalize('NFC')));
const NOTE_WORDS = new Set(
  [
    ...NOTE_OPENERS, 'khong', 'có', 'co', 'gì', 'gi', 'đổi', 'doi', 'thay', 'sửa', 'sua', 'cần', 'can', 'điều', 'dieu', 'chỉnh',
    'chinh', 'nguyên', 'nguyen', 'ten', 'và', 'dung', 'rồi', 'roi', 'trên', 'tren', 'cũ', 'cu', 'sai', 'đã', 'da', 'chính', 'xác', 'ghi', 'như', 'nhu', 'ạ', 'a',
  ].map((w) => w.normalize('NFC')),
);

/**
 * A cell's text as NO_CHANGE_WORDS holds it: compatibility letters as plain ones (full-width `ｋｏ`), lower case, one
 * space between words, no dots (`n.t`).
 */
const noteKey = (name: string): string => name.normalize('NFKC').toLowerCase().replace(/\./gu, '').replace(/\s+/gu, ' ').trim();

/** Whether column (10)'s text is a note for "nothing to change" rather than a name. */
function isNote(name: string): boolean {
  const key = noteKey(name);
  if (NO_CHANGE_WORDS.has(key)) return true;
  const words = key.split(' ');
  return NOTE_OPENERS.has(words[0]!) && words.every((w) => NOTE_WORDS.has(w));
}

const NOTHING_READABLE = 'không có ký tự nào đọc được (chỉ có ký tự ẩn, như khi dán từ trang web): xoá ô và gõ lại';

/**
 * Why column (13) is not a 12-digit personal number, or null. `normalized`: the number as the import reads it
 * (separators out, a single lost leading zero put back), null when it cannot be read as one.
 */
function numberShapeProblem(raw: string, normalized: string | null): string | null {
  if (normalized !== null && normalized.length === 12) return null;
  const digits = raw.replace(/[\s.]/g, '');
  const hint =
    normalized !== null ? ' — đây là số CMND 9 chữ số; ghi số định danh cá nhân 12 chữ số (số trên thẻ CCCD)'
      : /^\d{10}$/.test(digits) ? ' (mất 2 số 0 ở đầu? định dạng cột là Văn bản rồi gõ lại đủ 12 chữ số)'
        : '';
  return `Cột (13) số ĐDCN "${raw}" không hợp lệ: ghi đủ 12 chữ số${hint}`;
}

/**
 * `ddcn import corrections FILE.xlsx` (Plan II.4–II.5): a unit's returned Mẫu 02, columns (10)–(13), applied to
 * the participants of that unit with their history; the people corrected are verified again by the next run.
 */
/**
 * The people of `codes` whom the caller may correct (the portal: those in the user's scope). A person left out is
 * rejected as if not on file, so that a sheet cannot tell whether someone outside the scope exists.
 */
export type Correctable = (tx: Queryable, codes: string[]) => Promise<Set<string>>;

export async function importCorrections(
  deps: Deps,
  file: string,
  rejectsFile = `${file}.rejects.csv`,
  correctable?: Correctable,
  /**
   * `chunkRows`: rows per transaction (default 500); tests make it small to cross chunk boundaries. `form`: the file
   * as already read (the portal reads it within its own limits to check it first). `source`: what the corrections
   * record as their file (default: the file's absolute path; the portal's upload: its name as sent, see ho-tro.ts).
   */
  options: { chunkRows?: number; form?: ReturnedForm; source?: string } = {},
): Promise<CorrectionsResult> {
  const chunkRows = options.chunkRows ?? CHUNK_ROWS;
  if (!Number.isSafeInteger(chunkRows) || chunkRows < 1) throw new Error(`chunkRows must be a positive whole number, got ${chunkRows}`);
  const log = deps.log.child({ stage: 'corrections' });
  const form = options.form ?? (await openReturnedMau02(file));
  const sourceFile = options.source ?? path.resolve(file);
  // With a byte-order mark: the office staff who read the reasons open it in Excel, which needs it for Vietnamese.
  const rejects = await RejectsFile.open(rejectsFile, REJECTS_HEADER, { bom: true, input: file });
  const importId = await startImportRun(deps.db, 'corrections', sourceFile, deps.now());

  const result: CorrectionsResult = {
    importId, unit: form.unit, rowsRead: 0, corrected: 0, fields: 0, unchanged: 0, empty: 0, rejected: 0, rejectsFile,
  };
  const raw = new Map<number, ReturnedRow>();
  // Rows refused on reading wait for those refused in their chunk's transaction, so that the rejects file is in the
  // sheet's order, as the clerk reads it beside the sheet (each flush writes the lines up to its last row).
  let refused: Array<{ r: ReturnedRow; reason: string }> = [];
  const reject = (r: ReturnedRow, reason: string) => {
    result.rejected += 1;
    refused.push({ r, reason });
  };
  const writeRefused = async () => {
    const held = refused.sort((a, b) => a.r.line - b.r.line);
    refused = [];
    for (const { r, reason } of held) await rejects.add(r.line, reason, [r.maSoBhxh, r.name, r.dob, r.sex, r.number]);
  };

  let chunk: CorrectionInput[] = [];
  // Rows with nothing in (10)–(13): looked at only for a correction typed over (3)–(6) instead (blankOutcome).
  let blanks: ReturnedRow[] = [];
  const flush = async () => {
    // Stryker disable next-line ConditionalExpression: a shortcut: an empty chunk reads, locks and applies nobody
    if (chunk.length === 0 && blanks.length === 0) return writeRefused();
    const rows = chunk;
    const blankRows = blanks;
    chunk = [];
    blanks = [];
    const outcomes = await deps.db.withTransaction(async (tx) => {
      // Columns (1)–(9) must still be what we sent for the code in column (2); read and locked with the rows.
      const people = await listRowsOf(tx, [...rows.map((r) => r.maSoBhxh), ...blankRows.map((r) => codeOf(r))]);
      const recorded = await recordedCorrections(tx, rows.map((r) => r.maSoBhxh));
      const allowed = correctable ? await correctable(tx, [...people.keys()]) : null;
      // What corrections from the list's day on replaced: an untouched row of a list entered that same day (two
      // copies of one list, two clerks) shows the values before them, which nobody typed over.
      const replaced = blankRows.length && form.issuedOn ? await replacedSince(tx, blankRows.map(codeOf), startOfDay(form.issuedOn)) : new Map();
      const edited: Array<CorrectionOutcome | { line: number; kind: 'empty' }> = blankRows.map((r) => {
        const person = allowed && !allowed.has(codeOf(r)) ? undefined : people.get(codeOf(r));
        return blankOutcome(r, person, form.unit, form.issuedOn ?? null, replaced.get(codeOf(r)));
      });
      const asSent = rows.filter((r) => {
        if (allowed && !allowed.has(r.maSoBhxh)) {
          // Stryker disable next-line StringLiteral: the outcomes loop counts applied and unchanged and rejects everything else, with the same reason
          edited.push({ line: r.line, kind: 'rejected', reason: `Không có người tham gia mã số BHXH ${r.maSoBhxh}` });
          return false;
        }
        const person = people.get(r.maSoBhxh);
        // Not on file, or of another unit: applyCorrections says so.
        if (!person || person.maDonVi !== form.unit) return true;
        if (person.status === 'MATCHED') {
          // The same file entered again after the run that confirmed what it corrected: nothing to do, and not the
          // unit's error. Any other row for a confirmed person is refused by applyCorrections, saying why.
          if (recordedAlready(r, recorded.get(r.maSoBhxh))) {
            edited.push({ line: r.line, kind: 'unchanged' });
            return false;
          }
          return true;
        }
        const cols = editedColumns(raw.get(r.line)!, person);
        // The same file entered again (by the nightly script and by hand, or uploaded too): its columns (3)–(9) are
        // the person's data before the correction, which is now on file and on record. Nothing to apply:
        // unchanged, not the unit's error. A row whose values merely happen to be the person's (column (2) moved to
        // another row) has no such record: it is refused as edited, so that the unit enters it again.
        if (cols.length && enteredBefore(r, person, recorded.get(r.maSoBhxh))) {
          edited.push({ line: r.line, kind: 'unchanged' });
          return false;
        }
        // Stryker disable next-line StringLiteral: the outcomes loop counts applied and unchanged and rejects everything else, with the same reason
        if (cols.length) edited.push({ line: r.line, kind: 'rejected', reason: editedReason(r.maSoBhxh, cols) });
        return cols.length === 0;
      });
      const applied = asSent.length ? await applyCorrections(tx, { importId, unit: form.unit, sourceFile, now: deps.now(), rows: asSent }) : [];
      return [...edited, ...applied];
    });
    for (const o of outcomes) {
      if (o.kind === 'applied') {
        result.corrected += 1;
        result.fields += o.fields;
      } else if (o.kind === 'unchanged') result.unchanged += 1;
      else if (o.kind === 'empty') result.empty += 1;
      else reject(raw.get(o.line)!, o.reason);
      raw.delete(o.line);
    }
    await writeRefused();
  };

  try {
    const firstLine = new Map<string, number>();
    for (const r of form.rows) {
      const checked = checkReturnedRow(r, deps.now());
      if (checked.kind === 'empty') {
        if (!r.maSoBhxh) continue;
        result.rowsRead += 1;
        raw.set(r.line, r);
        blanks.push(r);
        // Stryker disable next-line ConditionalExpression,EqualityOperator: how many rows go to one transaction, not what is found
        if (chunk.length + blanks.length >= chunkRows) await flush();
        continue;
      }
      result.rowsRead += 1;
      // Two rows for one person: which one the unit meant is not for us to guess, even if the first was rejected.
      // A code read cut (over its limit: refused) is no person's: it never makes another row a second one.
      const code = r.maSoBhxh.length > INPUT_MAX.code ? '' : codeOf(r);
      const earlier = firstLine.get(code);
      if (code && earlier !== undefined) {
        reject(r, `Mã số BHXH đã có ở dòng ${earlier} của tệp này`);
        continue;
      }
      // Stryker disable next-line ConditionalExpression: an empty code is never looked up (the check above needs a code), so remembering it changes nothing
      if (code) firstLine.set(code, r.line);
      if (checked.kind === 'rejected') {
        reject(r, checked.reason);
        continue;
      }
      raw.set(r.line, r);
      chunk.push(checked.input);
      // Stryker disable next-line ConditionalExpression,EqualityOperator: how many rows go to one transaction, not what is applied: duplicates are found over the whole file
      if (chunk.length + blanks.length >= chunkRows) await flush();
    }
    await flush();
  } finally {
    // What was refused before a failure is in the rejects file all the same.
    await writeRefused().catch(() => undefined);
    await finishImportRun(deps.db, importId, deps.now(), {
      rowsRead: result.rowsRead, updated: result.corrected, unchanged: result.unchanged + result.empty, rejected: result.rejected,
    });
    await rejects.close();
  }
  log.info(
    { importId, unit: form.unit, rowsRead: result.rowsRead, corrected: result.corrected, fields: result.fields, unchanged: result.unchanged, empty: result.empty, rejected: result.rejected },
    'corrections imported',
  );
  return result;
}

/** Column (2) as a code is compared: without the spaces and dots a clerk may type in it. */
const codeOf = (r: ReturnedRow) => r.maSoBhxh.replace(/[\s.]/g, '');

/**
 * A row with nothing in (10)–(13): not filled in — unless a value of (3)–(6), what the office holds, was typed over
 * instead (the clerk corrected the person where they read the mistake). That would be dropped without a word: it is
 * refused, saying to write it in (10)–(13). Only for a person of the unit still on Mẫu 02 whose data has not
 * changed after the list's day (`issuedOn`, its "Số liệu đến ngày"; unknown: not looked at): a later change (a
 * night's export, a correction on the portal) makes an untouched row of an older list differ too, which is no one's
 * doing and stays "not filled in". (The list gives its day, not its hour: a change later on that same day is still
 * taken for typing, the reason then saying to use the newest list — unless a correction made from the list's day
 * on explains it: the column shows the value that correction replaced, `replaced`.)
 */
function blankOutcome(
  r: ReturnedRow,
  person: (ListRow & { maDonVi: string | null; updatedAt: Date }) | undefined,
  unit: string,
  issuedOn: CalendarDate | null,
  replaced?: Map<string, Array<string | null>>,
): { line: number; kind: 'empty' } | CorrectionOutcome {
  if (!person || person.maDonVi !== unit || person.status === 'MATCHED') return { line: r.line, kind: 'empty' };
  if (issuedOn === null || person.updatedAt >= endOfDay(issuedOn)) return { line: r.line, kind: 'empty' };
  const typedOver = editedColumns(r, person).filter((k) => k >= 3 && k <= 6 && !shownBefore(r, person, k, replaced));
  if (typedOver.length === 0) return { line: r.line, kind: 'empty' };
  const cols = typedOver.map((k) => `(${k})`).join(', ');
  const into = typedOver.map((k) => `(${k + 7})`).join(', ');
  return {
    line: r.line,
    kind: 'rejected',
    reason:
      `Cột ${cols} khác với danh sách đã gửi cho mã số BHXH ${person.maSoBhxh}, còn cột (10)–(13) để trống: điều chỉnh chưa được ghi nhận — ` +
      `không sửa từ cột (1) đến cột (9), ghi thông tin đúng vào cột ${into}; nếu danh sách đã cũ, dùng danh sách mới nhất`,
  };
}

/** The field of columns (3)–(6) and the person's property it shows. */
const SHOWN_FIELD: Record<number, [field: string, key: 'hoTen' | 'ngaySinh' | 'gioiTinh' | 'soGiayTo']> = {
  3: ['name', 'hoTen'], 4: ['dob', 'ngaySinh'], 5: ['sex', 'gioiTinh'], 6: ['id_number', 'soGiayTo'],
};

/** Whether column `k` of the row shows what it did before a correction of its field (`replaced`: values before). */
function shownBefore(r: ReturnedRow, person: ListRow, k: number, replaced: Map<string, Array<string | null>> | undefined): boolean {
  const [field, key] = SHOWN_FIELD[k]!;
  return (replaced?.get(field) ?? []).some((old) => {
    const before: ListRow = { ...person, [key]: key === 'hoTen' ? (old ?? '') : old };
    return !editedColumns(r, before).includes(k);
  });
}

/** Whether every value a row gives is one a recorded correction of that person wrote (`recorded`: `field value` keys). */
function recordedAlready(r: CorrectionInput, recorded: Set<string> | undefined): boolean {
  const given = ([['name', r.hoTen], ['dob', r.ngaySinh], ['sex', r.gioiTinh], ['id_number', r.soGiayTo]] as const).filter(([, v]) => v !== null);
  return given.length > 0 && given.every(([field, v]) => recorded?.has(correctionKey(field, v!)) === true);
}

/**
 * Whether a returned row was entered before: every value it gives in columns (10)–(13) is the person's on file, and
 * one of them was written by a recorded correction of that person (`recorded`: `field value` keys).
 */
function enteredBefore(r: CorrectionInput, person: ListRow, recorded: Set<string> | undefined): boolean {
  const fields: Array<[field: string, given: string | null, onFile: string | null]> = [
    ['name', r.hoTen, person.hoTen],
    ['dob', r.ngaySinh, person.ngaySinh],
    ['sex', r.gioiTinh, person.gioiTinh],
    ['id_number', r.soGiayTo, person.soGiayTo],
  ];
  return (
    fields.every(([field, given, onFile]) => given === null || (onFile !== null && correctionKey(field, given) === correctionKey(field, onFile))) &&
    fields.some(([field, given]) => given !== null && recorded?.has(correctionKey(field, given)) === true)
  );
}
