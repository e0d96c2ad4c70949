// What a unit's correction must respect beyond being readable (src/domain/correction-rules.ts), and how a row whose
// column (9) alone differs is worded.
import { describe, expect, it } from 'vitest';
import { capitalisedName, ddcnProblem, precisionProblem } from '../../src/domain/correction-rules.js';
import { editedReason } from '../../src/pipeline/corrections-check.js';

describe('correction rules', () => {
  it('capitalises a name typed in lower case after spaces, hyphens and apostrophes, and leaves any other as typed', () => {
    expect(capitalisedName('hồ minh toàn')).toBe('Hồ Minh Toàn');
    expect(capitalisedName('ksor y-bih')).toBe('Ksor Y-Bih');
    expect(capitalisedName("h'hen niê")).toBe("H'Hen Niê");
    expect(capitalisedName('đỗ văn bốn')).toBe('Đỗ Văn Bốn');
    expect(capitalisedName('NGUYỄN VĂN A')).toBe('NGUYỄN VĂN A');
    expect(capitalisedName('van der Berg')).toBe('van der Berg');
  });

  it('capitalises a name whose first letter alone is a capital (LibreOffice\'s autocorrect), and no name with another capital', () => {
    expect(capitalisedName('Hồ minh toàn')).toBe('Hồ Minh Toàn');
    expect(capitalisedName("H'hen niê")).toBe("H'Hen Niê");
    expect(capitalisedName('Ksor y-bih')).toBe('Ksor Y-Bih');
    expect(capitalisedName('Đỗ')).toBe('Đỗ');
    expect(capitalisedName('Hồ Minh Toàn')).toBe('Hồ Minh Toàn');
    expect(capitalisedName('Nguyễn thị LAN')).toBe('Nguyễn thị LAN');
    expect(capitalisedName('Nguyễn Thị lan')).toBe('Nguyễn Thị lan');
    expect(capitalisedName('McDonald')).toBe('McDonald');
    expect(capitalisedName('nguyễn Văn An')).toBe('nguyễn Văn An');
  });

  it('counts the year a number is born in by Vietnam\'s calendar', () => {
    const newYearsNightUtc = new Date('2026-12-31T18:00:00Z'); // 01:00 on 1 January 2027 in Vietnam
    expect(ddcnProblem('079327000001', { sex: null, dobKey: null }, newYearsNightUtc)).toBeNull(); // a girl of 2027
    expect(ddcnProblem('079328000001', { sex: null, dobKey: null }, newYearsNightUtc)).toMatch(/năm sinh 2028, chưa đến/);
    expect(ddcnProblem('079327000001', { sex: null, dobKey: null }, new Date('2026-12-31T16:00:00Z'))).toMatch(/năm sinh 2027, chưa đến/);
  });

  it('refuses a date less precise than the one on file only where the registry compared the date and holds more', () => {
    const differed = { key: '1990-11-05', dobCompared: true };
    expect(precisionProblem('1990', differed, '1990-05-11')).toMatch(/^Cột \(11\) chỉ ghi năm sinh, trong khi ngày sinh đang lưu có đủ ngày, tháng, năm/);
    expect(precisionProblem('1990-11', differed, null)).toMatch(/^Cột \(11\) chỉ ghi tháng và năm sinh/);
    expect(precisionProblem('1990', differed, '1990')).toBeNull();
    expect(precisionProblem('1990', { key: '1990-11-05', dobCompared: false }, null)).toBeNull();
    expect(precisionProblem('1990', { key: null, dobCompared: true }, '1990-05-11')).toBeNull();
    expect(precisionProblem('1990-05-11', differed, '1990-05-11')).toBeNull();
  });

  it('says a list is out of date where only column (9) differs', () => {
    expect(editedReason('0790000001', [9])).toMatch(/^Cột \(9\) khác với danh sách mới nhất cho mã số BHXH 0790000001: danh sách này đã cũ/);
    expect(editedReason('0790000001', [3, 9])).toMatch(/^Cột \(3\), \(9\) khác với danh sách đã gửi/);
  });
});
