// A returned Mẫu 02 row, field by field: a reason names only the columns that are wrong, and a number is noted as
// repaired only when its lost leading zero was put back.
import { describe, expect, it } from 'vitest';
import { checkReturnedRow, importCorrections } from '../../src/pipeline/corrections.js';
import type { Deps } from '../../src/pipeline/deps.js';

const row = { line: 15, shown: [], errors: [], maSoBhxh: '0790000001', name: '', dob: '', sex: '', number: '' };
const NOW = new Date('2024-06-03T01:30:00.000Z');

describe('checkReturnedRow', () => {
  it('names only the column that is wrong, not its valid neighbours', () => {
    expect(checkReturnedRow({ ...row, dob: '12/03/1965', sex: 'X' }, NOW)).toEqual({
      kind: 'rejected', reason: 'Cột (12) giới tính "X" không hợp lệ: ghi Nam hoặc Nữ',
    });
    expect(checkReturnedRow({ ...row, sex: 'Nữ', number: '0790650000041' }, NOW)).toEqual({
      kind: 'rejected', reason: 'Cột (13) số ĐDCN "0790650000041" không hợp lệ: ghi đủ 12 chữ số',
    });
  });

  it('notes a number as repaired only when its leading zero was put back', () => {
    const input = (r: Partial<typeof row>) => {
      const c = checkReturnedRow({ ...row, ...r }, NOW);
      if (c.kind !== 'ok') throw new Error(`expected the row to be taken, got ${c.kind}`);
      return c.input;
    };
    expect(input({ number: '79065000004' })).toMatchObject({ soGiayTo: '079065000004', numberRepaired: true, rawNumber: '79065000004' });
    expect(input({ number: '079065000004' })).toMatchObject({ soGiayTo: '079065000004', numberRepaired: false });
    // no number given: nothing to repair, whatever else the row says
    expect(input({ name: 'Đỗ Văn Bốn' })).toMatchObject({ hoTen: 'Đỗ Văn Bốn', soGiayTo: null, numberRepaired: false });
    expect(input({ dob: '12/03/1965' })).toMatchObject({ ngaySinh: '1965-03-12', numberRepaired: false });
  });

  it('refuses in column (10) a note for "nothing to change" however the clerk words or types it, and takes names of the same syllables', () => {
    const reason = (name: string) => {
      const c = checkReturnedRow({ ...row, name }, NOW);
      return c.kind === 'rejected' ? c.reason : c.kind === 'ok' ? `taken as ${c.input.hoTen}` : c.kind;
    };
    const notes = [
      'Ko đổi', 'ko sửa', 'Ko thay đổi', 'Ko cần sửa', 'k đổi', 'ko co', 'Không thay đổi gì', 'Không có thay đổi', 'không có gì', 'Không cần',
      'Không sai', 'Giữ nguyên tên', 'giữ nguyên họ tên', 'Đúng họ tên', 'Họ tên đúng', 'Tên đúng rồi', 'Vẫn đúng', 'n.t', 'N.T.',
      // Longer ones (the operator walk-through's): the whole note is made of such words.
      'Giữ nguyên như cũ', 'như trên đã ghi', 'Không thay đổi ạ',
      // Full-width letters (an Asian input method), and decomposed marks (as macOS writes them).
      'ｋｈｏｎｇ', 'Ｋｏ', 'Không thay đổi gì'.normalize('NFD'),
    ];
    expect(notes.map(reason)).toEqual(notes.map((n) => `Cột (10) họ và tên "${n}" là lời ghi chú, không phải họ và tên: để trống nếu không cần sửa`));
    // Names whose words a note uses too, typed with or without tone marks: the surname is no such word.
    for (const name of ['Khổng Văn Hùng', 'Nguyễn Văn Không', 'Đỗ Thị Đúng', 'Hồ Dung', 'Ho Dung', 'Nhu Nguyen', 'Khong Van Hung', 'Nguyễn Thị Như Nguyên']) {
      expect(reason(name)).toMatch(/^taken as /);
    }
  });
});

describe('importCorrections options', () => {
  it('refuses a chunk size that is not a positive whole number, before reading anything', async () => {
    const unused = {} as Deps; // touched only after the check
    for (const chunkRows of [0, -1, 1.5, Number.NaN]) {
      await expect(importCorrections(unused, 'no-such-file.xlsx', undefined, undefined, { chunkRows })).rejects.toThrow(
        `chunkRows must be a positive whole number, got ${chunkRows}`,
      );
    }
  });
});
