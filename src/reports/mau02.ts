// Mẫu số 02 (Plan 2207 II.3): participants the registry did not confirm, or with no personal number. The unit
// fills in columns (10)–(13) and sends it back; `ddcn import corrections` reads those columns (read-mau02.ts).
import type ExcelJS from 'exceljs';
import { columnLetter, type ListForm } from './list-form.js';
import type { ListRow } from './list-row.js';
import { personCells, unitIntro, vssidCells, VSSID_GROUP } from './mau01.js';
import { mismatchText } from './mismatch-text.js';

export const MAU02_TITLE =
  'DANH SÁCH NGƯỜI THAM GIA CHƯA KHỚP VỚI CSDL QUỐC GIA VỀ DÂN CƯ VÀ NGƯỜI THAM GIA CHƯA CÓ SỐ ĐỊNH DANH CÁ NHÂN';
export const ASK_FOR_NUMBER = 'đề nghị kê khai bổ sung số ĐDCN tại cột 13';

/** The columns the unit fills in, by their number on the form. */
export const INPUT_COLUMNS = { name: 10, dob: 11, sex: 12, number: 13 } as const;

function validations(first: number, last: number): Array<[string, ExcelJS.DataValidation]> {
  const range = (col: number) => `${columnLetter(col)}${first}:${columnLetter(col)}${last}`;
  const top = (col: number) => `${columnLetter(col)}${first}`;
  return [
    [
      range(INPUT_COLUMNS.name),
      {
        type: 'textLength', operator: 'lessThanOrEqual', formulae: [100], allowBlank: true,
        showInputMessage: true, promptTitle: 'Họ và tên', prompt: 'Chỉ ghi khi cần sửa: họ và tên đúng như trên thẻ CCCD.',
        showErrorMessage: true, errorStyle: 'warning', errorTitle: 'Họ và tên', error: 'Họ và tên quá dài.',
      },
    ],
    [
      range(INPUT_COLUMNS.dob),
      {
        // Stryker disable next-line StringLiteral: between is the rule's default and is written by leaving the attribute out: the same XML
        type: 'textLength', operator: 'between', formulae: [4, 10], allowBlank: true,
        showInputMessage: true, promptTitle: 'Ngày tháng năm sinh',
        prompt: 'Ghi dạng dd/mm/yyyy, ví dụ 05/03/1990 (hoặc mm/yyyy, yyyy nếu chỉ có tháng, năm sinh).',
        showErrorMessage: true, errorStyle: 'warning', errorTitle: 'Ngày tháng năm sinh',
        error: 'Ngày sinh ghi dạng dd/mm/yyyy, mm/yyyy hoặc yyyy.',
      },
    ],
    [
      range(INPUT_COLUMNS.sex),
      {
        type: 'list', formulae: ['"Nam,Nữ"'], allowBlank: true,
        showInputMessage: true, promptTitle: 'Giới tính', prompt: 'Chọn Nam hoặc Nữ.',
        showErrorMessage: true, errorStyle: 'stop', errorTitle: 'Giới tính', error: 'Chọn Nam hoặc Nữ.',
      },
    ],
    [
      range(INPUT_COLUMNS.number),
      {
        type: 'custom', formulae: [`AND(LEN(${top(INPUT_COLUMNS.number)})=12,ISNUMBER(VALUE(${top(INPUT_COLUMNS.number)})))`],
        allowBlank: true, showInputMessage: true, promptTitle: 'Số ĐDCN',
        prompt: 'Ghi đủ 12 chữ số của số ĐDCN/CCCD, kể cả các số 0 ở đầu.',
        showErrorMessage: true, errorStyle: 'stop', errorTitle: 'Số ĐDCN', error: 'Số ĐDCN gồm đúng 12 chữ số.',
      },
    ],
  ];
}

export const MAU02: ListForm<ListRow> = {
  sheetName: 'Mẫu 02',
  formNo: 'Mẫu số 02',
  title: MAU02_TITLE,
  intro: unitIntro,
  // Fit to the width of A4 landscape, the sheet is scaled by about 1046 px / (7 px × Σ widths + 5 px a column):
  // at Σ 166 that is 0.85, so the 11 pt text, column 9 included, prints at 9.3 pt. (At the earlier Σ 207 the body
  // printed at 7.5 pt and column 9, then 10 pt, at 6.5 pt.) Names, e-mails and column 9 wrap; rows grow to fit.
  columns: [
    { width: 4, style: 'stt' },
    { width: 11, style: 'code' },
    { width: 15, style: 'text' },
    { width: 11, style: 'code' },
    { width: 5, style: 'center' },
    { width: 13, style: 'code' },
    { width: 15, style: 'text' },
    { width: 6, style: 'center' },
    { width: 33, style: 'text' },
    { width: 15, style: 'input' },
    { width: 10, style: 'input' },
    { width: 6, style: 'input' },
    { width: 13, style: 'input' },
    { width: 9, style: 'text' },
  ],
  headRows: 3,
  head: [
    { row: 0, col: 1, rows: 3, text: 'Stt' },
    { row: 0, col: 2, rows: 3, text: 'Mã số BHXH' },
    { row: 0, col: 3, cols: 6, text: 'Thông tin cơ quan BHXH quản lý' },
    { row: 0, col: 9, rows: 3, text: 'Thông tin chưa khớp với CSDL quốc gia về Dân cư' },
    { row: 0, col: 10, cols: 4, text: 'Thông tin kê sửa đổi, bổ sung', input: true },
    { row: 0, col: 14, rows: 3, text: 'Xác nhận của người tham gia' },
    { row: 1, col: 3, rows: 2, text: 'Họ và tên' },
    { row: 1, col: 4, rows: 2, text: 'Ngày tháng năm sinh' },
    { row: 1, col: 5, rows: 2, text: 'Giới tính' },
    { row: 1, col: 6, rows: 2, text: 'Số ĐDCN' },
    { row: 1, col: 7, cols: 2, text: VSSID_GROUP },
    { row: 1, col: 10, rows: 2, text: 'Họ và tên', input: true },
    { row: 1, col: 11, rows: 2, text: 'Ngày tháng năm sinh', input: true },
    { row: 1, col: 12, rows: 2, text: 'Giới tính', input: true },
    { row: 1, col: 13, rows: 2, text: 'Số ĐDCN', input: true },
    { row: 2, col: 7, text: 'Đã đăng ký VssID' },
    { row: 2, col: 8, text: 'Chưa đăng ký' },
  ],
  frozenColumns: 3,
  cells: (r, stt) => [
    ...personCells(r, stt),
    r.soGiayTo ?? ASK_FOR_NUMBER,
    ...vssidCells(r),
    mismatchText(r),
    null,
    null,
    null,
    null,
    null,
  ],
  validations,
  notes: [
    '- Từ cột (1) đến cột (6): Ghi thông tin của người tham gia được kết xuất từ phần mềm quản lý. ' +
      'Trường hợp người tham gia chưa có số ĐDCN tại cột (6) thì hiển thị “đề nghị kê khai bổ sung số ĐDCN tại cột 13”.',
    '- Cột (7): Ghi địa chỉ email của người tham gia đã đăng ký sử dụng VssID được kết xuất từ phần mềm quản lý. ' +
      'Trường hợp người tham gia đã đăng ký sử dụng VssID nhưng kê khai thiếu email thì ghi “đề nghị kê khai bổ sung email”.',
    '- Cột (8): Ghi dấu “X” đối với người tham gia chưa đăng ký sử dụng VssID được kết xuất từ phần mềm quản lý.',
    '- Cột (9): Ghi các thông tin xác thực chưa khớp với CSDL quốc gia về Dân cư được kết xuất từ phần mềm quản lý.',
    '- Từ cột (10) đến cột (14): Người tham gia kê khai chính xác các thông tin sửa đổi, bổ sung.',
  ],
  datedOnIssue: false,
  signatures: [
    { title: 'NGƯỜI LẬP BIỂU', hint: '(Ký, ghi rõ họ tên)' },
    { title: 'THỦ TRƯỞNG ĐƠN VỊ', hint: '(Ký, ghi rõ họ tên, đóng dấu)' },
  ],
};
