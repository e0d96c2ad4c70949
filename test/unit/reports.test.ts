import { describe, expect, it } from 'vitest';
import { checkReturnedRow } from '../../src/pipeline/corrections.js';
import { parseTarget } from '../../src/pipeline/targets.js';
import { districtLabel } from '../../src/reports/districts.js';
import { pathSegment, unitLabel } from '../../src/reports/list-paths.js';
import type { Finding } from '../../src/domain/finding.js';
import type { Field } from '../../src/domain/types.js';
import type { ListRow } from '../../src/reports/list-row.js';
import { assess } from '../../src/reports/milestones.js';
import { mismatchLines } from '../../src/reports/mismatch-text.js';
import { officeName, placeName, provinceLabel } from '../../src/reports/office.js';
import { addDays, afterDay, endOfDay, parseIsoDate, placeDateLine, vnDate, weekday } from '../../src/reports/vn-date.js';

const person = (over: Partial<ListRow>): ListRow => ({
  maSoBhxh: '0100000001', hoTen: 'Nguyễn Văn Hùng', ngaySinh: '1990-03-05', gioiTinh: 'M', soGiayTo: '012345678', soDdcn: null,
  vssid: false, email: null, status: 'MISMATCHED', fields: [], findings: [], detail: null, ...over,
});

describe('Mẫu 02 column 9: what does not match', () => {
  it('names each value the import did not store (too long, a control character), its length, never its text', () => {
    const findings: Finding[] = [
      { field: 'name', code: 'too_long', column: 'ho_ten', length: 275, limit: 200 }, { field: 'name', code: 'missing' },
      { field: 'email', code: 'too_long', column: 'email', length: 305, limit: 254 },
      { field: 'unit', code: 'control', column: 'ma_don_vi' }, { field: 'unit', code: 'missing' },
      { field: 'office', code: 'too_long', column: 'ma_tinh', length: 11, limit: 10 },
      { field: 'sex', code: 'control', column: 'gioi_tinh' }, { field: 'sex', code: 'missing' },
    ];
    const dropped = [
      'Họ và tên dài 275 ký tự (tối đa 200): không lưu — đề nghị kê khai lại tại cột 10',
      'Email dài 305 ký tự (tối đa 254): không lưu — đề nghị kê khai lại với cơ quan BHXH',
      'Mã đơn vị có ký tự điều khiển (tệp dữ liệu hỏng): không lưu — đề nghị kê khai lại với cơ quan BHXH',
      'Mã tỉnh dài 11 ký tự (tối đa 10): không lưu — đề nghị kê khai lại với cơ quan BHXH',
      'Giới tính có ký tự điều khiển (tệp dữ liệu hỏng): không lưu — đề nghị kê khai lại tại cột 12',
    ];
    // Compared: the registry's name beside none held; then what was not stored.
    expect(mismatchLines(person({ hoTen: '', gioiTinh: null, fields: ['name', 'sex'], findings, detail: { registry: { hoTen: 'Trần Văn Ba', gioiTinh: 'M' } } }))).toEqual([
      'Họ và tên: (chưa có) — CSDL dân cư: Trần Văn Ba', 'Giới tính: (chưa có) — CSDL dân cư: Nam', ...dropped,
    ]);
    // Not compared (no number): no "(chưa có) — kê khai bổ sung" line besides the one that says why.
    expect(mismatchLines(person({ status: 'MISSING_ID', soGiayTo: null, hoTen: '', gioiTinh: null, findings }))).toEqual(['Chưa có số ĐDCN/CCCD', ...dropped]);
    // A field corrected since: the next run's to judge.
    expect(mismatchLines(person({ hoTen: '', fields: ['name'], findings: findings.slice(0, 2), correctedSince: { on: '03/06/2024', fields: ['name'] } }))).toEqual([
      'Đã nhận điều chỉnh họ và tên ngày 03/06/2024: chờ đối chiếu lại với CSDL dân cư',
    ]);
  });

  it('gives one line per field in a fixed order, with the registry value at the precision each side holds', () => {
    const row = person({
      ngaySinh: '1966', gioiTinh: 'F', fields: ['sex', 'dob', 'name'],
      detail: { registry: { hoTen: 'Nguyễn Văn Hưng', ngaySinh: '1965-03-12', gioiTinh: 'M' } },
    });
    expect(mismatchLines(row)).toEqual([
      'Họ và tên: Nguyễn Văn Hùng — CSDL dân cư: Nguyễn Văn Hưng',
      'Ngày sinh: 1966 — CSDL dân cư: 12/03/1965',
      'Giới tính: Nữ — CSDL dân cư: Nam',
    ]);
  });

  it('offers no hint for another person’s name, and says so when the registry disclosed nothing', () => {
    expect(mismatchLines(person({ fields: ['name'], detail: { registry: { hoTen: 'Trần Thị Mai' } } }))).toEqual([
      'Họ và tên: Nguyễn Văn Hùng — CSDL dân cư: Trần Thị Mai',
    ]);
    expect(mismatchLines(person({ fields: ['dob'], ngaySinh: '1990-03' }))).toEqual(['Ngày sinh: 03/1990 — không khớp với CSDL dân cư']);
  });

  it('shows a value that could not be read as it was in the file', () => {
    // Only this field's unreadable value: not another field's, nor one the import repaired.
    const findings: Finding[] = [
      { field: 'sex', code: 'invalid', value: 'X' }, { field: 'dob', code: 'repaired', value: '1980-2-31' }, { field: 'dob', code: 'invalid', value: '31/02/1980' },
    ];
    const row = person({ ngaySinh: null, fields: ['dob'], findings, detail: { registry: { ngaySinh: '1980-02-28' } } });
    expect(mismatchLines(row)).toEqual(['Ngày sinh: 31/02/1980 (không hợp lệ) — CSDL dân cư: 28/02/1980']);
  });

  it('explains an unknown number, a missing one, a conflict and a structure hint', () => {
    expect(mismatchLines(person({ fields: ['id_number'] }))).toEqual(['Số CMND/ĐDCN: 012345678 — không có trong CSDL dân cư']);
    expect(mismatchLines(person({ status: 'MISSING_ID', soGiayTo: null }))).toEqual(['Chưa có số ĐDCN/CCCD']);
    // What the registry could not compare without a number, but will refuse next: said with the number.
    expect(mismatchLines(person({ status: 'MISSING_ID', soGiayTo: null, findings: [{ field: 'dob', code: 'invalid', value: '1990-13' }, { field: 'id_number', code: 'missing', value: '' }] }))).toEqual([
      'Chưa có số ĐDCN/CCCD', 'Ngày sinh: 1990-13 (không hợp lệ) — kê khai lại tại cột 11',
    ]);
    expect(mismatchLines(person({ fields: ['id_number'], gioiTinh: null, findings: [{ field: 'sex', code: 'missing' }, { field: 'name', code: 'converted', value: 'x', from: 'TCVN3' }] }))).toEqual([
      'Số CMND/ĐDCN: 012345678 — không có trong CSDL dân cư', 'Giới tính: (chưa có) — kê khai bổ sung tại cột 12',
      'Họ và tên: tên chuyển từ mã TCVN3 (trong tệp: x)',
    ]);
    expect(mismatchLines(person({ fields: ['name'] }))).toEqual(['Họ và tên: Nguyễn Văn Hùng — không khớp với CSDL dân cư']);
    // Nothing held: the unreadable value from the file, else "(chưa có)".
    expect(mismatchLines(person({
      hoTen: '', gioiTinh: null, fields: ['name', 'sex'],
      findings: [{ field: 'name', code: 'invalid', value: '@@@' }, { field: 'sex', code: 'invalid', value: 'X' }],
    }))).toEqual(['Họ và tên: @@@ (không hợp lệ) — không khớp với CSDL dân cư', 'Giới tính: X (không hợp lệ) — không khớp với CSDL dân cư']);
    expect(mismatchLines(person({ hoTen: '', ngaySinh: null, fields: ['name', 'dob'] }))).toEqual([
      'Họ và tên: (chưa có) — không khớp với CSDL dân cư', 'Ngày sinh: (chưa có) — không khớp với CSDL dân cư',
    ]);
    expect(mismatchLines(person({ status: 'CONFLICT', soDdcn: '001090000001', detail: {} }))).toEqual([
      'Số ĐDCN 001090000001 cũng gắn với một mã số BHXH khác: cần kiểm tra, đối chiếu hồ sơ',
    ]);
    expect(mismatchLines(person({ status: 'MISSING_ID', soGiayTo: null, findings: [{ field: 'id_number', code: 'invalid', value: '12345' }] }))).toEqual([
      'Số CMND/ĐDCN không hợp lệ: 12345',
    ]);
    expect(mismatchLines(person({ status: 'CONFLICT', soDdcn: '001090000001', detail: { conflictWith: ['0100000002', '0100000003'] } }))).toEqual([
      'Số ĐDCN 001090000001 cũng gắn với 2 mã số BHXH khác: cần kiểm tra, đối chiếu hồ sơ',
    ]);
    expect(mismatchLines(person({ fields: ['sex'], detail: { registry: { gioiTinh: 'F' }, cccdHint: ['sex'] } }))).toEqual([
      'Giới tính: Nam — CSDL dân cư: Nữ',
      'Lưu ý: giới tính suy ra từ số ĐDCN khác với hồ sơ (chỉ để tham khảo)',
    ]);
  });
});

describe('Mẫu 02 column 9: records the registry would not check, and text converted at import', () => {
  it('says which fields to fix, in which input columns, and why the registry would not take them', () => {
    const refused = (fields: Field[], reason: 'too_long' | 'not_accepted' | 'registry_refused') =>
      mismatchLines(person({ fields, detail: { refused: { fields, reason } } }));
    expect(refused(['name'], 'too_long')).toEqual([
      'Họ và tên dài quá 200 ký tự, CSDL dân cư không nhận để đối chiếu: đề nghị kê khai lại tại cột 10',
    ]);
    expect(refused(['id_number', 'dob'], 'too_long')).toEqual([
      'Ngày sinh, số CMND/ĐDCN dài quá mức cho phép, CSDL dân cư không nhận để đối chiếu: đề nghị kê khai lại tại cột 11, 13',
    ]);
    expect(refused(['sex'], 'not_accepted')).toEqual([
      'Giới tính không đúng dạng CSDL dân cư nhận để đối chiếu: đề nghị kê khai lại tại cột 12',
    ]);
    expect(refused(['dob'], 'registry_refused')).toEqual([
      'CSDL dân cư từ chối đối chiếu vì ngày sinh không hợp lệ: đề nghị kê khai lại tại cột 11',
    ]);
    expect(refused([], 'registry_refused')).toEqual([
      'CSDL dân cư từ chối đối chiếu hồ sơ này: đề nghị kiểm tra, kê khai lại thông tin đúng tại cột 10–13',
    ]);
  });

  it('names a conflict without its number when none is held, and a birth-year hint from the ĐDCN', () => {
    expect(mismatchLines(person({ status: 'CONFLICT', soDdcn: null, detail: null }))).toEqual([
      'Số ĐDCN cũng gắn với một mã số BHXH khác: cần kiểm tra, đối chiếu hồ sơ',
    ]);
    expect(mismatchLines(person({ fields: ['dob'], ngaySinh: '1990', detail: { registry: { ngaySinh: '1991' }, cccdHint: ['dob', 'sex'] } }))).toEqual([
      'Ngày sinh: 1990 — CSDL dân cư: 1991',
      'Lưu ý: năm sinh, giới tính suy ra từ số ĐDCN khác với hồ sơ (chỉ để tham khảo)',
    ]);
  });

  it('tells the unit which names were converted from a legacy encoding, with what its file held', () => {
    const row = person({
      status: 'MATCHED',
      findings: [
        { field: 'name', code: 'converted', from: 'TCVN3', value: 'NguyÔn V¨n Hïng' },
        { field: 'unit', code: 'converted', from: 'VNI', value: 'Coâng ty Sao Mai' },
        { field: 'name', code: 'converted', from: 'UTF-8' },
        { field: 'name', code: 'repaired', value: 'x' },
        { field: 'name', code: 'converted', value: 'no encoding named' },
      ],
    });
    expect(mismatchLines(row)).toEqual([
      'Họ và tên: tên chuyển từ mã TCVN3 (trong tệp: NguyÔn V¨n Hïng)',
      'Tên/địa chỉ đơn vị: tên chuyển từ mã VNI (trong tệp: Coâng ty Sao Mai)',
      'Họ và tên: tên chuyển từ UTF-8 hai lần (trong tệp: )',
    ]);
  });

  it('says the record does not match when nothing more precise is known', () => {
    expect(mismatchLines(person({}))).toEqual(['Chưa khớp với CSDL dân cư']);
  });

  it('adds a hint when the registry wrote the differing word with a look-alike letter', () => {
    // Ð (U+00D0, Icelandic eth) looks like Đ: the registry's text shows "Ðỗ", the hint the word as it is read.
    expect(mismatchLines(person({ hoTen: 'Đổ Văn Hùng', fields: ['name'], detail: { registry: { hoTen: 'Ðỗ Văn Hùng' } } }))).toEqual([
      'Họ và tên: Đổ Văn Hùng — CSDL dân cư: Ðỗ Văn Hùng (gần giống: Đỗ; chỉ để tham khảo)',
    ]);
    // Also when only one of the differing words is written with it.
    expect(mismatchLines(person({ hoTen: 'Đổ Văn Hùng', fields: ['name'], detail: { registry: { hoTen: 'Ðỗ Văn Hưng' } } }))).toEqual([
      'Họ và tên: Đổ Văn Hùng — CSDL dân cư: Ðỗ Văn Hưng (gần giống: Đỗ Hưng; chỉ để tham khảo)',
    ]);
  });
});

describe('checking a returned Mẫu 02 row', () => {
  const row = { line: 15, shown: [], errors: [], maSoBhxh: '0100000001', name: '', dob: '', sex: '', number: '' };
  it('takes values with the import rules: any date form, sex spellings, lost leading zeros, a name in lower case capitalised', () => {
    expect(checkReturnedRow({ ...row, name: '  nguyễn  văn hưng ', dob: '1965-03-12', sex: 'nu', number: '12 345 678 901' })).toEqual({
      kind: 'ok',
      input: {
        line: 15, maSoBhxh: '0100000001', hoTen: 'Nguyễn Văn Hưng', ngaySinh: '1965-03-12', gioiTinh: 'F', soGiayTo: '012345678901',
        numberRepaired: true, rawNumber: '12 345 678 901',
      },
    });
    expect(checkReturnedRow({ ...row, dob: '03/1965' })).toMatchObject({ kind: 'ok', input: { ngaySinh: '1965-03', hoTen: null, gioiTinh: null, soGiayTo: null } });
  });
  it('calls a row with nothing filled in empty, and one with a value but no code rejected', () => {
    expect(checkReturnedRow(row)).toEqual({ kind: 'empty' });
    expect(checkReturnedRow({ ...row, maSoBhxh: '', sex: 'Nam' })).toEqual({ kind: 'rejected', reason: 'Thiếu mã số BHXH ở cột (2)' });
  });
  it('says a well-formed date of birth after today is one, not that it is badly written', () => {
    expect(checkReturnedRow({ ...row, dob: '01/01/2099' }, new Date('2024-06-03T00:00:00Z'))).toEqual({
      kind: 'rejected',
      reason: 'Cột (11) ngày sinh "01/01/2099" là ngày sau hôm nay: ghi đúng ngày sinh',
    });
  });
  it('names every value it cannot read', () => {
    expect(checkReturnedRow({ ...row, dob: '1965-13-01', sex: 'không rõ' })).toEqual({
      kind: 'rejected',
      reason: 'Cột (11) ngày tháng năm sinh "1965-13-01" không hợp lệ: ghi dd/mm/yyyy, mm/yyyy hoặc yyyy; Cột (12) giới tính "không rõ" không hợp lệ: ghi Nam hoặc Nữ',
    });
  });
});

describe('milestones', () => {
  const d = (month: number, day: number, year = 2024) => ({ year, month, day });
  const of2024 = (rate: number | null, asOf: { year: number; month: number; day: number }) => assess(rate, asOf, 2024);
  it('judges the verified rate against the next milestone, and a missed one as behind', () => {
    expect(of2024(0.5, d(6, 3))).toEqual({ level: 'onTrack', text: 'Đang thực hiện: cần đạt 60% trước 30/06/2024' });
    expect(of2024(0.6, d(6, 30))).toEqual({ level: 'good', text: 'Đạt mốc 60% (hạn 30/06)' });
    // The deadline day still counts: not behind on 30/06, and exactly 60% on 01/07 is on track for the next.
    expect(of2024(0.59, d(6, 30))).toEqual({ level: 'onTrack', text: 'Đang thực hiện: cần đạt 60% trước 30/06/2024' });
    expect(of2024(0.6, d(7, 1))).toEqual({ level: 'onTrack', text: 'Đang thực hiện: cần đạt 80% trước 30/09/2024' });
    expect(of2024(0.59, d(7, 1))).toEqual({ level: 'behind', text: 'Chậm tiến độ: chưa đạt mốc 60% (hạn 30/06)' });
    expect(of2024(0.7, d(7, 1))).toEqual({ level: 'onTrack', text: 'Đang thực hiện: cần đạt 80% trước 30/09/2024' });
    expect(of2024(0.85, d(10, 1))).toEqual({ level: 'onTrack', text: 'Đang thực hiện: cần đạt 100% trước 31/12/2024' });
    expect(of2024(1, d(12, 31))).toEqual({ level: 'good', text: 'Đạt mốc 100% (hạn 31/12)' });
    expect(of2024(null, d(1, 1))).toEqual({ level: 'none', text: 'Chưa có người tham gia' });
  });

  it('judges a milestone falling on a past as-of day, whose figures are those at its end: not still ahead', () => {
    // The June, September and December reports (as of 30/06, 30/09, 31/12, made the next day or later).
    expect(assess(0.59, d(6, 30), 2024, true)).toEqual({ level: 'behind', text: 'Chậm tiến độ: chưa đạt mốc 60% (hạn 30/06)' });
    expect(assess(0.6, d(6, 30), 2024, true)).toEqual({ level: 'good', text: 'Đạt mốc 60% (hạn 30/06)' });
    expect(assess(0.85, d(12, 31), 2024, true)).toEqual({ level: 'behind', text: 'Chậm tiến độ: chưa đạt mốc 100% (hạn 31/12)' });
    expect(assess(0.7, d(9, 30), 2024, true)).toEqual({ level: 'behind', text: 'Chậm tiến độ: chưa đạt mốc 80% (hạn 30/09)' });
    // Short of the day's milestone and of an earlier one too: the day's is said, as the next day's report says it.
    expect(assess(0.5, d(9, 30), 2024, true)).toEqual({ level: 'behind', text: 'Chậm tiến độ: chưa đạt mốc 80% (hạn 30/09)' });
    expect(assess(0.5, d(10, 1), 2024)).toEqual({ level: 'behind', text: 'Chậm tiến độ: chưa đạt mốc 80% (hạn 30/09)' });
    expect(assess(0.666, d(12, 31), 2024, true)).toEqual({ level: 'behind', text: 'Chậm tiến độ: chưa đạt mốc 100% (hạn 31/12)' });
    // Any other past day reads as before.
    expect(assess(0.5, d(6, 3), 2024, true)).toEqual({ level: 'onTrack', text: 'Đang thực hiện: cần đạt 60% trước 30/06/2024' });
  });

  it('keeps an office short of 100 % behind after 31/12 of the plan year, and does not start the milestones again', () => {
    // On the last day 80 % was missed and 100 % is still due that day.
    expect(of2024(0.666, d(12, 31))).toEqual({ level: 'behind', text: 'Chậm tiến độ: chưa đạt mốc 80% (hạn 30/09)' });
    expect(of2024(0.85, d(12, 31))).toEqual({ level: 'onTrack', text: 'Đang thực hiện: cần đạt 100% trước 31/12/2024' });
    // From 01/01: 100 % was due, whatever the rate short of it; the deadline carries its year.
    for (const asOf of [d(1, 1, 2025), d(7, 1, 2025), d(12, 31, 2025), d(3, 1, 2026)]) {
      expect(of2024(0.666, asOf)).toEqual({ level: 'behind', text: 'Chậm tiến độ: chưa đạt mốc 100% (hạn 31/12/2024)' });
      expect(of2024(0.999, asOf)).toEqual({ level: 'behind', text: 'Chậm tiến độ: chưa đạt mốc 100% (hạn 31/12/2024)' });
      expect(of2024(1, asOf)).toEqual({ level: 'good', text: 'Đạt mốc 100% (hạn 31/12/2024)' });
      expect(of2024(null, asOf)).toEqual({ level: 'none', text: 'Chưa có người tham gia' });
    }
  });

  it("reads a date before the plan year against the plan year's first milestone", () => {
    expect(assess(0.3, d(12, 1, 2025), 2026)).toEqual({ level: 'onTrack', text: 'Đang thực hiện: cần đạt 60% trước 30/06/2026' });
    expect(assess(0.6, d(12, 1, 2025), 2026)).toEqual({ level: 'good', text: 'Đạt mốc 60% (hạn 30/06/2026)' });
    // The year, not only the day and month, decides: 01/07/2025 is before 30/06/2026.
    expect(assess(0.3, d(7, 1, 2025), 2026)).toEqual({ level: 'onTrack', text: 'Đang thực hiện: cần đạt 60% trước 30/06/2026' });
  });
});

describe('dates and places on the forms', () => {
  it('reads dates in Vietnam time (UTC+7)', () => {
    expect(vnDate(new Date('2024-06-03T16:59:59Z'))).toEqual({ year: 2024, month: 6, day: 3 });
    expect(vnDate(new Date('2024-06-03T17:00:00Z'))).toEqual({ year: 2024, month: 6, day: 4 });
    expect(endOfDay({ year: 2024, month: 6, day: 3 }).toISOString()).toBe('2024-06-03T17:00:00.000Z');
    // An import at midnight after the day is not in its figures (their cut-off is exclusive); one a moment before is.
    expect(afterDay(new Date('2024-06-03T17:00:00Z'), { year: 2024, month: 6, day: 3 })).toBe(true);
    expect(afterDay(new Date('2024-06-03T16:59:59.999Z'), { year: 2024, month: 6, day: 3 })).toBe(false);
    expect(weekday({ year: 2024, month: 6, day: 9 })).toBe(7);
    expect(parseIsoDate('2024-02-30')).toBeNull();
    expect(parseIsoDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
    // --as-of as typed: spaces around it are fine, anything else is no date.
    expect(parseIsoDate(' 2024-02-29 ')).toEqual({ year: 2024, month: 2, day: 29 });
    expect(['2024-02-29T00:00', 'x2024-02-29', '29/02/2024', '2024-13-01', ''].map(parseIsoDate)).toEqual([null, null, null, null, null]);
    expect(addDays({ year: 2024, month: 2, day: 28 }, 2)).toEqual({ year: 2024, month: 3, day: 1 });
    expect(addDays({ year: 2024, month: 1, day: 1 }, -1)).toEqual({ year: 2023, month: 12, day: 31 });
    expect(weekday({ year: 2024, month: 6, day: 3 })).toBe(1); // a Monday
  });
  it('names the office and the place from a 2- or 3-digit province code', () => {
    expect(officeName('79')).toBe('BẢO HIỂM XÃ HỘI THÀNH PHỐ HỒ CHÍ MINH');
    expect(officeName('075')).toBe('BẢO HIỂM XÃ HỘI TỈNH ĐỒNG NAI');
    expect(officeName('99')).toBe('BẢO HIỂM XÃ HỘI TỈNH (MÃ 99)');
    expect(provinceLabel('001')).toBe('Hà Nội');
    // A province on file as a number cell wrote it (1: one form per province, the first on file).
    expect([provinceLabel('1'), officeName('1'), placeName('1')]).toEqual(['Hà Nội', 'BẢO HIỂM XÃ HỘI THÀNH PHỐ HÀ NỘI', 'Hà Nội']);
    expect(placeDateLine(placeName('01'), { year: 2024, month: 6, day: 3 })).toBe('Hà Nội, ngày 03 tháng 6 năm 2024');
    // A zero before a day under 10 and months 1 and 2 only (Nghị định 30/2020; the plan's `ngày 12 tháng 8 năm 2022`).
    expect(placeDateLine(placeName('01'), { year: 2022, month: 8, day: 12 })).toBe('Hà Nội, ngày 12 tháng 8 năm 2022');
    expect(placeDateLine(placeName('01'), { year: 2025, month: 2, day: 12 })).toBe('Hà Nội, ngày 12 tháng 02 năm 2025');
    expect(placeDateLine(placeName('01'), { year: 2025, month: 1, day: 5 })).toBe('Hà Nội, ngày 05 tháng 01 năm 2025');
    expect(placeDateLine(placeName('01'), { year: 2025, month: 12, day: 31 })).toBe('Hà Nội, ngày 31 tháng 12 năm 2025');
    // The city, not the man.
    expect(placeDateLine(placeName('79'), { year: 2025, month: 10, day: 1 })).toBe('Thành phố Hồ Chí Minh, ngày 01 tháng 10 năm 2025');
  });
  it('says so where a unit has no province or district code, and leaves the place to fill in', () => {
    expect([provinceLabel(null), provinceLabel('99'), provinceLabel('ab')]).toEqual(['(chưa có mã tỉnh)', 'Tỉnh mã 99', 'Tỉnh mã ab']);
    expect([officeName(null), officeName('')]).toEqual(['BẢO HIỂM XÃ HỘI TỈNH ……', 'BẢO HIỂM XÃ HỘI TỈNH ……']);
    expect([placeName(null), placeName('99')]).toEqual(['……………', '……………']);
    expect([districtLabel('79', null), districtLabel('79', '760'), districtLabel('79', '999')]).toEqual(['(chưa có mã huyện)', 'Quận 1 (760)', 'Quận, huyện mã 999']);
  });
  it('names a district under its province given as a 2- or 3-digit code, and under no other', () => {
    // The first and the last row of reference/don-vi-hanh-chinh.csv, and Hà Nội's `01`, whose `0` is part of the code.
    expect([districtLabel('01', '001'), districtLabel('001', '001'), districtLabel('96', '973')]).toEqual(['Quận Ba Đình (001)', 'Quận Ba Đình (001)', 'Huyện Ngọc Hiển (973)']);
    // A mistyped province code does not borrow Hồ Chí Minh's districts, nor does a district code of another province.
    expect([districtLabel('179', '760'), districtLabel('0079', '760'), districtLabel('01', '760')]).toEqual(['Quận, huyện mã 760', 'Quận, huyện mã 760', 'Quận, huyện mã 760']);
  });
  it('names a unit in messages by its codes, or says it has none', () => {
    expect(unitLabel('079', 'DV0790001')).toBe('unit "DV0790001" of province "079"');
    expect(unitLabel(null, null)).toBe('unit (no ma_don_vi) of province (no ma_tinh)');
  });
  it('gives a unit without a code, or with a Vietnamese one, a folder of its own', () => {
    expect([pathSegment('', '_x'), pathSegment(null, '_x')]).toEqual(['_x', '_x']);
    expect(pathSegment('Đơn vị số 1 đội 5', '_x')).toMatch(/^_Don-vi-so-1-doi-5_[0-9a-f]{16}$/);
    expect(pathSegment('Ánh Dương', '_x')).not.toBe(pathSegment('Anh Duong', '_x'));
  });
  it('keeps codes from data inside the output directory', () => {
    expect(pathSegment('DV0790001', '_x')).toBe('DV0790001');
    expect(pathSegment('../../etc/passwd', '_x')).toBe('_-etc-passwd_3754d6cb3a38e118');
    expect(pathSegment('..', '_x')).toBe('_-_5ec1f7e700f37c3d');
    expect(pathSegment(null, '_x')).toBe('_x');
  });
  it('reads targets written with thousands separators', () => {
    expect(['250000', '250.000', '250,000', '1 250 000', '2,5', '-3', '', '12.34'].map(parseTarget)).toEqual([
      250000, 250000, 250000, 1250000, null, null, null, null,
    ]);
  });
});
