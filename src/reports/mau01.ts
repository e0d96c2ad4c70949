// Mẫu số 01 (Plan 2207 I.5): participants the registry confirmed, with their VssID status, for the managing unit.
import { formatBirthDate, parseDateKey } from '../domain/dates.js';
import { sexLabel } from '../domain/sex.js';
import type { CellValue, ListForm } from './list-form.js';
import type { ListFileSpec, ListRow } from './list-row.js';

export const MAU01_TITLE =
  'DANH SÁCH NGƯỜI THAM GIA ĐÃ ĐƯỢC CƠ QUAN BHXH ĐỒNG BỘ VỚI CSDL QUỐC GIA VỀ DÂN CƯ VÀ SỬ DỤNG THẺ CĂN CƯỚC CÔNG DÂN KHI ĐI KHÁM CHỮA BỆNH THAY THẾ THẺ BHYT';

export const VSSID_GROUP = 'Đăng ký sử dụng ứng dụng VssID - BHXH số';
export const ASK_FOR_EMAIL = 'đề nghị kê khai bổ sung email';

/** `Tên đơn vị:`, `Mã đơn vị:`, `Địa chỉ:` of the managing unit, as on both lists. */
export function unitIntro(spec: ListFileSpec): string[] {
  const u = spec.unit;
  return [
    `Tên đơn vị: ${u.maDonVi === null ? '(chưa có mã đơn vị)' : u.tenDonVi}`,
    `Mã đơn vị: ${u.maDonVi ?? ''}`,
    `Địa chỉ: ${u.diaChi}`,
  ];
}

export function birthDateText(key: string | null): string {
  // Stryker disable next-line ConditionalExpression: parseDateKey(null) reads the text 'null', which is no date key, and the next line gives '' for it too
  if (key === null) return '';
  const d = parseDateKey(key);
  return d ? formatBirthDate(d) : '';
}

/** Columns (1)–(5), the same on every list: Stt, Mã số BHXH, Họ và tên, Ngày tháng năm sinh, Giới tính. */
export function personCells(r: ListRow, stt: number): [CellValue, CellValue, CellValue, CellValue, CellValue] {
  return [stt, r.maSoBhxh, r.hoTen, birthDateText(r.ngaySinh), r.gioiTinh ? sexLabel(r.gioiTinh) : null];
}

/** Columns (7) and (8): the e-mail of a registered participant (or a request for one), or `X` for "not registered". */
export function vssidCells(row: ListRow): [CellValue, CellValue] {
  if (!row.vssid) return [null, 'X'];
  return [row.email ?? ASK_FOR_EMAIL, null];
}

export const MAU01: ListForm<ListRow> = {
  sheetName: 'Mẫu 01',
  formNo: 'Mẫu số 01',
  title: MAU01_TITLE,
  intro: unitIntro,
  columns: [
    { width: 6, style: 'center' },
    { width: 13, style: 'code' },
    { width: 26, style: 'text' },
    { width: 12, style: 'code' },
    { width: 8, style: 'center' },
    { width: 15, style: 'code' },
    { width: 30, style: 'text' },
    { width: 10, style: 'center' },
    { width: 20, style: 'text' },
  ],
  headRows: 2,
  head: [
    { row: 0, col: 1, rows: 2, text: 'Stt' },
    { row: 0, col: 2, rows: 2, text: 'Mã số BHXH' },
    { row: 0, col: 3, rows: 2, text: 'Họ và tên' },
    { row: 0, col: 4, rows: 2, text: 'Ngày tháng năm sinh' },
    { row: 0, col: 5, rows: 2, text: 'Giới tính' },
    { row: 0, col: 6, rows: 2, text: 'Số ĐDCN' },
    { row: 0, col: 7, cols: 2, text: VSSID_GROUP },
    { row: 0, col: 9, rows: 2, text: 'Xác nhận của người tham gia' },
    { row: 1, col: 7, text: 'Đã đăng ký VssID' },
    { row: 1, col: 8, text: 'Chưa đăng ký' },
  ],
  frozenColumns: 0,
  cells: (r, stt) => [
    ...personCells(r, stt),
    r.soDdcn ?? r.soGiayTo,
    ...vssidCells(r),
    null,
  ],
  notes: [
    '- Từ cột (1) đến cột (6): Ghi thông tin của người tham gia được kết xuất từ phần mềm quản lý.',
    '- Cột (7): Ghi địa chỉ email của người tham gia đã đăng ký sử dụng VssID được kết xuất từ phần mềm quản lý. ' +
      'Trường hợp người tham gia đã đăng ký sử dụng VssID nhưng kê khai thiếu email thì ghi “đề nghị kê khai bổ sung email”.',
    '- Cột (8): Ghi dấu “X” đối với người tham gia chưa đăng ký sử dụng VssID được kết xuất từ phần mềm quản lý.',
  ],
  datedOnIssue: true,
  signatures: [
    { title: 'NGƯỜI LẬP BIỂU', hint: '(Ký, ghi rõ họ tên)' },
    { title: 'GIÁM ĐỐC', hint: '(Ký, ghi rõ họ tên, đóng dấu)' },
  ],
};
