// A returned Mẫu 02 row whose code in column (2) cannot be read: the reason says what is wrong, and adds the likely
// cause (a lost leading zero) only when the code has nine digits.
import { describe, expect, it } from 'vitest';
import { checkReturnedRow } from '../../src/pipeline/corrections.js';

describe('a returned row with an unreadable code in column (2)', () => {
  const row = { line: 15, shown: [], errors: [], maSoBhxh: '0100000001', name: '', dob: '', sex: 'Nam', number: '' };
  it('asks for ten digits, and suggests the lost zero only for nine', () => {
    expect(checkReturnedRow({ ...row, maSoBhxh: '100000001' })).toEqual({
      kind: 'rejected', reason: 'Mã số BHXH "100000001" không hợp lệ: cần đủ 10 chữ số (mất số 0 ở đầu? định dạng cột là Văn bản)',
    });
    expect(checkReturnedRow({ ...row, maSoBhxh: '01000000' })).toEqual({ kind: 'rejected', reason: 'Mã số BHXH "01000000" không hợp lệ: cần đủ 10 chữ số' });
    expect(checkReturnedRow({ ...row, maSoBhxh: 'BH01000001' })).toEqual({ kind: 'rejected', reason: 'Mã số BHXH "BH01000001" không hợp lệ: cần đủ 10 chữ số' });
    // nine digits somewhere in a longer code are not a code that lost its zero
    expect(checkReturnedRow({ ...row, maSoBhxh: 'A100000001' })).toEqual({ kind: 'rejected', reason: 'Mã số BHXH "A100000001" không hợp lệ: cần đủ 10 chữ số' });
    expect(checkReturnedRow({ ...row, maSoBhxh: '10000000012' })).toEqual({ kind: 'rejected', reason: 'Mã số BHXH "10000000012" không hợp lệ: cần đủ 10 chữ số' });
    // Excel's digit grouping (dots or spaces) is not part of the code: nine digits grouped still lost their zero
    for (const grouped of ['100.000.001', '100 000 001']) {
      expect(checkReturnedRow({ ...row, maSoBhxh: grouped })).toEqual({
        kind: 'rejected', reason: `Mã số BHXH "${grouped}" không hợp lệ: cần đủ 10 chữ số (mất số 0 ở đầu? định dạng cột là Văn bản)`,
      });
    }
  });

  it('names every unsafe value of the row, one after the other', () => {
    expect(checkReturnedRow({ ...row, name: 'Lê\u202EVăn', errors: ['11'] })).toEqual({
      kind: 'rejected',
      reason:
        'Ô có giá trị lỗi của Excel ở cột 11: ghi lại giá trị đúng; ' +
        'Cột (10) họ và tên có ký tự điều khiển hoặc ký tự đổi chiều văn bản (như U+202E): xoá ô và gõ lại',
    });
  });
});

// A clerk who pastes the CCCD (or the date of birth) into column (10), or into the portal form's name field, must not
// replace the person's name with it: no name has a digit.
describe('a returned row with a digit in the name, column (10)', () => {
  const row = { line: 15, shown: [], errors: [], maSoBhxh: '0100000001', name: '', dob: '', sex: '', number: '' };
  it('is refused, saying where the number belongs', () => {
    for (const name of ['001080999001', 'Lê Văn 2', '01/01/1980', 'Nguyễn Văn A１']) {
      expect(checkReturnedRow({ ...row, name })).toEqual({
        kind: 'rejected',
        reason: `Cột (10) họ và tên "${name}" có chữ số: chỉ ghi họ và tên (ngày sinh ghi ở cột (11), số ĐDCN ở cột (13))`,
      });
    }
  });
  it('still takes a name without one, apostrophes and hyphens included', () => {
    for (const name of ["H'Hen Niê", 'Nguyễn Thị Lan-Anh', 'Lê Văn Hùng']) expect(checkReturnedRow({ ...row, name }).kind).toBe('ok');
  });
});
