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

/** Column (9) as lines; the cell joins them with line breaks. */
export function mismatchLines(row: ListRow): string[] {
  const lines: string[] = [];
  if (row.status === 'MISSING_ID') {
    const bad = row.findings.find((f) => f.field === 'id_number' && f.code === 'invalid');
    lines.push(bad?.value !== undefined ? `Số CMND/ĐDCN không hợp lệ: ${bad.value}` : 'Chưa có số ĐDCN/CCCD');
  }
  if (row.status === 'CONFLICT') {
    const n = row.detail?.conflictWith?.length ?? 1;
    // The other codes belong to other people, maybe of other units: the unit is told that they exist, not who.
    const others = n > 1 ? `${n} mã số BHXH khác` : 'một mã số BHXH khác';
    const number = row.soDdcn ? `Số ĐDCN ${row.soDdcn}` : 'Số ĐDCN';
    lines.push(`${number} cũng gắn với ${others}: cần kiểm tra, đối chiếu hồ sơ`);
  }
  const disclosed = row.detail?.registry ?? {};
  const fields = ORDER.filter((f) => row.fields.includes(f));
  for (const f of fields) {
    if (f === 'name') {
      const mine = ours(row.hoTen, row.findings, 'name');
      let line = fieldLine('Họ và tên', mine, disclosed.hoTen);
      const hint = disclosed.hoTen && row.hoTen ? nameHint(row.hoTen, disclosed.hoTen) : null;
      if (hint) line += ` (${hint}; chỉ để tham khảo)`;
      lines.push(line);
    } else if (f === 'dob') {
      lines.push(fieldLine('Ngày sinh', ours(dateText(row.ngaySinh), row.findings, 'dob'), dateText(disclosed.ngaySinh ?? null)));
    } else if (f === 'sex') {
      lines.push(fieldLine('Giới tính', ours(sexText(row.gioiTinh), row.findings, 'sex'), sexText(disclosed.gioiTinh)));
    } else {
      lines.push(`Số CMND/ĐDCN: ${row.soGiayTo ?? NONE} — không có trong ${REGISTRY}`);
    }
  }
  const hint = row.detail?.cccdHint;
  if (hint?.length) {
    const what = hint.map((h) => (h === 'sex' ? 'giới tính' : 'năm sinh')).join(', ');
    lines.push(`Lưu ý: ${what} suy ra từ số ĐDCN khác với hồ sơ (chỉ để tham khảo)`);
  }
  // Text converted from a legacy encoding at import: said, with what the file held, so the unit can fix its source.
  for (const f of row.findings) {
    if (f.code !== 'converted' || !f.from) continue;
    const what = f.field === 'name' ? 'Họ và tên' : 'Tên/địa chỉ đơn vị';
    lines.push(`${what}: tên chuyển từ ${ENCODING_LABEL[f.from]} (trong tệp: ${f.value ?? ''})`);
  }
  if (lines.length === 0) lines.push('Chưa khớp với CSDL dân cư');
  return lines;
}

export function mismatchText(row: ListRow): string {
  return mismatchLines(row).join('\n');
}
