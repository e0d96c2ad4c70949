// Mẫu 02 column (9), "Thông tin chưa khớp với CSDL quốc gia về Dân cư": one line per field, our value and the
// registry's where it disclosed it. Similarity is offered as a hint only, never as the answer.
import { formatBirthDate, parseDateKey } from '../domain/dates.js';
import { ENCODING_LABEL } from '../domain/legacy-text.js';
import { nameHint } from '../domain/names.js';
import { sexLabel } from '../domain/sex.js';
import type { Field, Sex } from '../domain/types.js';
import type { Finding } from '../domain/finding.js';
import type { ListRow } from './list-row.js';

const REGISTRY = 'CSDL dân cư';
const NONE = '(chưa có)';

function dateText(key: string | null): string | null {
  // Stryker disable next-line ConditionalExpression: parseDateKey(null) reads the text 'null', no date key, and dateText then returns the key: null either way
  if (key === null) return null;
  const d = parseDateKey(key);
  return d ? formatBirthDate(d) : key;
}

const sexText = (s: Sex | null | undefined): string | null => (s ? sexLabel(s) : null);

/** What we hold for a field: the stored value, else the unreadable value from the file, else "(chưa có)". */
function ours(value: string | null, findings: Finding[], field: Finding['field']): string {
  if (value !== null && value !== '') return value;
  const bad = findings.find((f) => f.field === field && f.code === 'invalid');
  return bad?.value !== undefined ? `${bad.value} (không hợp lệ)` : NONE;
}

function fieldLine(label: string, our: string, theirs: string | null | undefined): string {
  return theirs ? `${label}: ${our} — ${REGISTRY}: ${theirs}` : `${label}: ${our} — không khớp với ${REGISTRY}`;
}

const ORDER: Field[] = ['name', 'dob', 'sex', 'id_number'];
const LABEL: Record<Field, string> = { name: 'họ và tên', dob: 'ngày sinh', sex: 'giới tính', id_number: 'số CMND/ĐDCN' };
const INPUT_COLUMN: Record<Field, number> = { name: 10, dob: 11, sex: 12, id_number: 13 };

/** A record the registry did not or would not check: say what needs fixing, never the value (it may be huge). */
function refusedLine(refused: NonNullable<NonNullable<ListRow['detail']>['refused']>): string {
  const fields = ORDER.filter((f) => refused.fields.includes(f));
  if (fields.length === 0) {
    return 'CSDL dân cư từ chối đối chiếu hồ sơ này: đề nghị kiểm tra, kê khai lại thông tin đúng tại cột 10–13';
  }
  const what = fields.map((f) => LABEL[f]).join(', ');
  const where = fields.map((f) => INPUT_COLUMN[f]).join(', ');
  const why =
    refused.reason === 'too_long' ? `${what} dài quá ${fields.includes('name') ? '200 ký tự' : 'mức cho phép'}, CSDL dân cư không nhận để đối chiếu`
      : refused.reason === 'not_accepted' ? `${what} không đúng dạng CSDL dân cư nhận để đối chiếu`
        : `CSDL dân cư từ chối đối chiếu vì ${what} không hợp lệ`;
  return `${why.charAt(0).toUpperCase()}${why.slice(1)}: đề nghị kê khai lại tại cột ${where}`;
}

/** The columns of the participants file a value may be dropped from on import (Finding `column`), as column 9 names them. */
const COLUMN_LABEL: Readonly<Record<string, string>> = {
  ho_ten: 'Họ và tên', ngay_sinh: 'Ngày sinh', gioi_tinh: 'Giới tính', so_giay_to: 'Số CMND/ĐDCN', ma_don_vi: 'Mã đơn vị',
  ten_don_vi: 'Tên đơn vị', dia_chi_don_vi: 'Địa chỉ đơn vị', ma_tinh: 'Mã tỉnh', ma_huyen: 'Mã huyện',
  vssid: 'Thông tin đăng ký VssID', email: 'Email',
};

/** Whether a finding says a value of the file was not stored (too long, or with a control character). */
const dropped = (f: Finding): boolean => f.code === 'too_long' || f.code === 'control';

/**
 * A value the import did not store, too long or with a control character: what it was (its length, never its
 * text) and where to declare it again — columns 10–13 for the fields the registry compares, else with the office.
 */
function droppedLine(f: Finding): string {
  const what = COLUMN_LABEL[f.column ?? ''] ?? (f.field === 'name' ? 'Họ và tên' : 'Thông tin');
  const why = f.code === 'too_long' ? `dài ${f.length ?? '?'} ký tự (tối đa ${f.limit ?? '?'})` : 'có ký tự điều khiển (tệp dữ liệu hỏng)';
  const input = (ORDER as string[]).includes(f.field) ? INPUT_COLUMN[f.field as Field] : null;
  return `${what} ${why}: không lưu — ${input ? `đề nghị kê khai lại tại cột ${input}` : 'đề nghị kê khai lại với cơ quan BHXH'}`;
}

/** A hint that only lists words of the registry's name, which the line shows already, adds nothing. */
function repeats(hint: string, registryName: string): boolean {
  // Stryker disable next-line Regex: the empty words a looser split leaves are no registry words: the hint is added exactly when it was
  const shown = new Set(registryName.normalize('NFC').toLocaleLowerCase('vi').split(/\s+/));
  // Stryker disable next-line MethodExpression,Regex: the empty words a looser split leaves are dropped or are no registry words: the hint is added exactly when it was
  const words = hint.replace(/^gần giống:\s*/, '').normalize('NFC').toLocaleLowerCase('vi').split(/\s+/).filter(Boolean);
  return words.every((w) => shown.has(w));
}

/** Column (9) as lines; the cell joins them with line breaks. */
export function mismatchLines(row: ListRow): string[] {
  const lines: string[] = [];
  // First, so that the clerk sees it before sending the same correction again.
  if (row.escalatedOn) lines.push(`Đã chuyển TT CNTT hỗ trợ ngày ${row.escalatedOn}`);
  // The unit's correction came back as a mismatch because the source changed the data since: said, so that the
  // clerk reads what follows as about the new data, not as the registry refusing the correction.
  if (row.sourceChangedAfter) {
    lines.push(`Dữ liệu gốc đã thay đổi sau điều chỉnh ngày ${row.sourceChangedAfter} của đơn vị: kết quả dưới đây đối chiếu theo dữ liệu mới`);
  }
  // A correction awaiting the next run: said, and what the registry said of the value it replaced is no longer shown.
  const corrected = new Set<Field>(row.correctedSince?.fields ?? []);
  if (row.correctedSince) {
    const what = ORDER.filter((f) => corrected.has(f)).map((f) => LABEL[f]).join(', ');
    lines.push(`Đã nhận điều chỉnh ${what} ngày ${row.correctedSince.on}: chờ đối chiếu lại với ${REGISTRY}`);
  }
  if (row.status === 'MISSING_ID' && !corrected.has('id_number')) {
    const bad = row.findings.find((f) => f.field === 'id_number' && f.code === 'invalid');
    lines.push(bad?.value !== undefined ? `Số CMND/ĐDCN không hợp lệ: ${bad.value}` : 'Chưa có số ĐDCN/CCCD');
  }
  if (row.status === 'CONFLICT' && !corrected.has('id_number')) {
    const n = row.detail?.conflictWith?.length ?? 1;
    // The other codes belong to other people, maybe of other units: the unit is told that they exist, not who.
    const others = n > 1 ? `${n} mã số BHXH khác` : 'một mã số BHXH khác';
    const number = row.soDdcn ? `Số ĐDCN ${row.soDdcn}` : 'Số ĐDCN';
    lines.push(`${number} cũng gắn với ${others}: cần kiểm tra, đối chiếu hồ sơ`);
  }
  const refused = row.detail?.refused;
  if (refused) {
    // The fields corrected since are the next run's to judge; a refusal of the whole record stands until then.
    const still = refused.fields.filter((f) => !corrected.has(f));
    if (still.length || refused.fields.length === 0) lines.push(refusedLine({ ...refused, fields: still }));
  }
  const disclosed = row.detail?.registry ?? {};
  const compared = ORDER.filter((f) => row.fields.includes(f) && !refused?.fields.includes(f));
  const fields = compared.filter((f) => !corrected.has(f));
  for (const f of fields) {
    if (f === 'name') {
      const mine = ours(row.hoTen, row.findings, 'name');
      let line = fieldLine('Họ và tên', mine, disclosed.hoTen);
      const hint = disclosed.hoTen && row.hoTen ? nameHint(row.hoTen, disclosed.hoTen) : null;
      if (hint && !repeats(hint, disclosed.hoTen!)) line += ` (${hint}; chỉ để tham khảo)`;
      lines.push(line);
    } else if (f === 'dob') {
      lines.push(fieldLine('Ngày sinh', ours(dateText(row.ngaySinh), row.findings, 'dob'), dateText(disclosed.ngaySinh ?? null)));
    } else if (f === 'sex') {
      lines.push(fieldLine('Giới tính', ours(sexText(row.gioiTinh), row.findings, 'sex'), sexText(disclosed.gioiTinh)));
    } else {
      lines.push(`Số CMND/ĐDCN: ${row.soGiayTo ?? NONE} — không có trong ${REGISTRY}`);
    }
  }
  // Fields the registry never compared (no number, or one it does not know) that are missing or unreadable on file:
  // said now, so that the unit fixes them with the number rather than after the next run refuses them.
  const uncompared = row.status === 'MISSING_ID' || (row.status === 'MISMATCHED' && compared.length === 1 && compared[0] === 'id_number');
  for (const f of uncompared ? (['name', 'dob', 'sex'] as const) : []) {
    if (refused?.fields.includes(f) || corrected.has(f)) continue;
    const finding = row.findings.find((x) => x.field === f && (x.code === 'invalid' || x.code === 'missing'));
    // A value not stored on import: its own line below says it and where to write it.
    if (!finding || row.findings.some((x) => x.field === f && dropped(x))) continue;
    const label = LABEL[f].charAt(0).toUpperCase() + LABEL[f].slice(1);
    lines.push(
      finding.code === 'invalid'
        ? `${label}: ${finding.value ?? ''} (không hợp lệ) — kê khai lại tại cột ${INPUT_COLUMN[f]}`
        : `${label}: ${NONE} — kê khai bổ sung tại cột ${INPUT_COLUMN[f]}`,
    );
  }
  const hint = row.detail?.cccdHint;
  if (hint?.length && !corrected.has('id_number') && !hint.some((h) => corrected.has(h))) {
    const what = hint.map((h) => (h === 'sex' ? 'giới tính' : 'năm sinh')).join(', ');
    lines.push(`Lưu ý: ${what} suy ra từ số ĐDCN khác với hồ sơ (chỉ để tham khảo)`);
  }
  // Text converted from a legacy encoding at import: said, with what the file held, so the unit can fix its source.
  for (const f of row.findings) {
    // Stryker disable next-line ConditionalExpression: only converted findings carry from: every other finding is skipped by !f.from as before
    if (f.code !== 'converted' || !f.from) continue;
    const what = f.field === 'name' ? 'Họ và tên' : 'Tên/địa chỉ đơn vị';
    lines.push(`${what}: tên chuyển từ ${ENCODING_LABEL[f.from]} (trong tệp: ${f.value ?? ''})`);
  }
  // Values the import did not store (too long, or with a control character): said, so that the unit declares them
  // again; a field corrected since is the next run's to judge.
  for (const f of row.findings) {
    if (dropped(f) && !corrected.has(f.field as Field)) lines.push(droppedLine(f));
  }
  if (lines.length === 0) lines.push('Chưa khớp với CSDL dân cư');
  return lines;
}

export function mismatchText(row: ListRow): string {
  return mismatchLines(row).join('\n');
}
