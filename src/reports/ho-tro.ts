// Plan 2207 II.6.2: people whose data the province corrected from the unit's returned Mẫu 02 and who still do
// not match after verifying again; the province sends this list to the IT centre (TT CNTT) for support.
import path from 'node:path';
import type { ListForm } from './list-form.js';
import type { EscalationRow, ListFileSpec } from './list-row.js';
import { personCells } from './mau01.js';
import { mismatchText } from './mismatch-text.js';
import { officeInText } from './office.js';
import { formatDateTime } from './vn-date.js';

/** How a correction sent as a file on the portal names its source: `upload:LOGIN/NAME`. */
export const PORTAL_UPLOAD = 'upload:';

/**
 * Column (11): where the last correction came from. A returned file by its name and row; one sent on the portal by
 * the name it was sent under, and the account (`upload:LOGIN/NAME`, corrections.ts in the portal); one typed into
 * the portal's form (`web:LOGIN`, no row) by the account.
 */
export function correctionSource(file: string, row: number): string {
  if (file.startsWith('web:')) return `Nhập trên cổng thông tin (tài khoản ${file.slice(4)})`;
  if (file.startsWith(PORTAL_UPLOAD)) {
    const rest = file.slice(PORTAL_UPLOAD.length);
    const slash = rest.indexOf('/');
    return `${rest.slice(slash + 1)}, dòng ${row} (gửi trên cổng thông tin, tài khoản ${rest.slice(0, slash)})`;
  }
  return `${path.basename(file)}, dòng ${row}`;
}

export const HO_TRO_TITLE =
  'DANH SÁCH NGƯỜI THAM GIA ĐÃ ĐIỀU CHỈNH THÔNG TIN THEO HỒ SƠ NHƯNG VẪN CHƯA KHỚP VỚI CSDL QUỐC GIA VỀ DÂN CƯ ĐỀ NGHỊ HỖ TRỢ';

function intro(spec: ListFileSpec): string[] {
  return [
    'Kính gửi: Trung tâm Công nghệ thông tin - BHXH Việt Nam',
    `Đơn vị đề nghị: ${officeInText(spec.unit.maTinh)}`,
    'Các trường hợp dưới đây đã được cập nhật theo hồ sơ đơn vị nộp nhưng kết quả xác thực vẫn chưa khớp với CSDL quốc gia về dân cư.',
  ];
}

export const HO_TRO: ListForm<EscalationRow> = {
  sheetName: 'Đề nghị hỗ trợ',
  formNo: null,
  title: HO_TRO_TITLE,
  intro,
  // Fitted to the width of A4 landscape, as Mẫu 02 (see there): at Σ 155 over 12 columns the sheet prints at about
  // 0.91, so the 10 pt of columns 9 and 11 at 9.1 pt and the rest at ~10 pt. (At the earlier Σ 200 it printed at
  // 0.72: 7.2 and 7.9 pt.) Names, units, column 9, the time and the file wrap; rows grow to fit.
  columns: [
    { width: 4, style: 'stt' },
    { width: 11, style: 'code' },
    { width: 16, style: 'text' },
    { width: 11, style: 'code' },
    { width: 5, style: 'center' },
    { width: 13, style: 'code' },
    { width: 11, style: 'code' },
    { width: 16, style: 'text' },
    { width: 30, style: 'small' },
    { width: 11, style: 'code' },
    { width: 17, style: 'small' },
    { width: 10, style: 'text' },
  ],
  headRows: 1,
  head: [
    { row: 0, col: 1, text: 'Stt' },
    { row: 0, col: 2, text: 'Mã số BHXH' },
    { row: 0, col: 3, text: 'Họ và tên' },
    { row: 0, col: 4, text: 'Ngày tháng năm sinh' },
    { row: 0, col: 5, text: 'Giới tính' },
    { row: 0, col: 6, text: 'Số ĐDCN/CMND' },
    { row: 0, col: 7, text: 'Mã đơn vị' },
    { row: 0, col: 8, text: 'Tên đơn vị' },
    { row: 0, col: 9, text: 'Thông tin vẫn chưa khớp với CSDL quốc gia về Dân cư' },
    { row: 0, col: 10, text: 'Thời điểm điều chỉnh' },
    { row: 0, col: 11, text: 'Tệp điều chỉnh của đơn vị' },
    { row: 0, col: 12, text: 'Hình ảnh hồ sơ kèm theo' },
  ],
  frozenColumns: 3,
  cells: (r, stt) => [
    ...personCells(r, stt),
    r.soGiayTo,
    r.maDonVi,
    r.tenDonVi,
    mismatchText(r),
    formatDateTime(new Date(r.correctedAt)),
    correctionSource(r.sourceFile, r.sourceRow),
    null,
  ],
  notes: [
    '- Cột (9): Các thông tin vẫn chưa khớp sau khi xác thực lại với CSDL quốc gia về Dân cư.',
    '- Cột (10), (11): Lần điều chỉnh gần nhất theo danh sách (Mẫu số 02) đơn vị gửi lại.',
    '- Cột (12): BHXH tỉnh/huyện ghi tên tệp hình ảnh hồ sơ của người tham gia gửi kèm.',
  ],
  datedOnIssue: true,
  signatures: [
    { title: 'NGƯỜI LẬP BIỂU', hint: '(Ký, ghi rõ họ tên)' },
    { title: 'GIÁM ĐỐC', hint: '(Ký, ghi rõ họ tên, đóng dấu)' },
  ],
};
