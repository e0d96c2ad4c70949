import { describe, expect, it } from 'vitest';
import { serifLines } from '../../src/reports/serif-lines.js';

describe('serifLines', () => {
  // What LibreOffice printed (scripts/print-check.ts, Mẫu 03 of 63 rows): in column (18), 27 characters wide, at
  // 11 pt, each of these on the lines given; in the old width of 20, "Đang thực hiện" on 2 and "Chậm tiến độ" on 3.
  it('counts the lines of the assessment as they print', () => {
    expect(serifLines('Đạt mốc 60% (hạn 30/06)', 27, 11)).toBe(1);
    expect(serifLines('Đang thực hiện: cần đạt 80% trước 30/09/2024', 27, 11)).toBe(2);
    expect(serifLines('Chậm tiến độ: chưa đạt mốc 100% (hạn 31/12/2024)', 27, 11)).toBe(2);
    expect(serifLines('Chậm tiến độ: chưa đạt mốc 100% (hạn 31/12/2024)', 20, 11)).toBe(3);
    expect(serifLines('Chưa có người tham gia', 27, 11)).toBe(1);
  });

  it('gives a line more than fits, never one less: a wider font, a larger size, a line break, a long word', () => {
    const text = 'Chậm tiến độ: chưa đạt mốc 100% (hạn 31/12/2024)';
    expect(serifLines(text, 27, 13)).toBe(3);
    expect(serifLines(text.toUpperCase(), 27, 11)).toBe(3);
    expect(serifLines('Đạt mốc 60%\n(hạn 30/06)', 27, 11)).toBe(2);
    // A word longer than the line breaks at the edge: 60 digits at about 24 a line (27 characters wide, at 11 pt).
    expect(serifLines('1'.repeat(60), 27, 11)).toBe(3);
    // Letters with a horn (ơ, ư) and characters outside the table (an em dash) are counted wide, not as nothing.
    expect(serifLines('ư'.repeat(24), 27, 11)).toBe(2);
    expect(serifLines('—'.repeat(13), 27, 11)).toBe(2);
    expect(serifLines('', 27, 11)).toBe(1);
  });
});
