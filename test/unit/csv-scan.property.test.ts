// Properties of the CSV scanner, on random input: every non-blank physical line is accounted for (part of a record
// or a reject), records are numbered by their physical line, and well-formed CSV always reads back as written.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvScanner, MAX_LINE_CHARS, NOT_UTF8, type CsvRecord } from '../../src/pipeline/csv-scan.js';

function scan(buf: Buffer, pieces = 1): CsvRecord[] {
  const s = new CsvScanner();
  const out: CsvRecord[] = [];
  const step = Math.max(1, Math.ceil(buf.length / pieces));
  for (let i = 0; i < buf.length; i += step) out.push(...s.push(buf.subarray(i, i + step)));
  return [...out, ...s.end()];
}

/** Lines covered by each record: from its line over as many lines as its text holds. */
function covered(recs: CsvRecord[]): number[] {
  return recs.flatMap((r) => {
    const n = r.text !== undefined ? r.text.split('\n').length : 1;
    return Array.from({ length: n }, (_, k) => r.line + k);
  });
}

const csvField = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'ễ', ' ', ',', '"', '\n', 'Đ', '1') , maxLength: 12 }),
  fc.string({ maxLength: 8 }),
);
const quote = (v: string) => (/[",\n\r]/.test(v) || v !== v.trim() ? `"${v.replaceAll('"', '""')}"` : v);

describe('CSV scanner properties', () => {
  it('tells the character U+FFFD written in a UTF-8 file from bytes that are not UTF-8, wherever the reads are cut', () => {
    const text = Buffer.concat([
      Buffer.from('a,b\n1,Nguy\uFFFDn\n2,'),
      Buffer.from([0xe0, 0x41]), // not UTF-8
      Buffer.from('\n3,\uFFFD\uFFFD\n'),
    ]);
    for (let step = 1; step <= text.length; step++) {
      const recs = scan(text, Math.ceil(text.length / step)).slice(1);
      const lost = 'field 2 holds the character \uFFFD (U+FFFD), put where a conversion before the export lost a letter: correct the value where the file is exported from, and export again';
      expect(recs.map((r) => [r.line, r.cells[1], r.problem ?? null])).toEqual([
        [2, 'Nguy\uFFFDn', lost],
        [3, '\uFFFDA', NOT_UTF8],
        [4, '\uFFFD\uFFFD', lost],
      ]);
      expect(recs[0]!.text).toBe('1,Nguy\uFFFDn');
    }
  });

  it('reads well-formed CSV back exactly, however the bytes are cut into buffers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.array(csvField, { minLength: 5, maxLength: 5 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 40 }), (_, records, pieces) => {
        const header = ['a', 'b', 'c', 'd', 'e'];
        const data = records.filter((r) => r.some((c) => c.trim() !== '')).map((r) => r.map((c) => c.replace(/\r/g, '')));
        const text = [header, ...data].map((r) => r.map(quote).join(',')).join('\n') + '\n';
        const recs = scan(Buffer.from(text), pieces).filter((r) => r.cells.some((c) => c.trim() !== ''));
        expect(recs.every((r) => r.problem === undefined)).toBe(true);
        expect(recs.slice(1).map((r) => r.cells)).toEqual(data.filter((r) => r.some((c) => c.trim() !== '')));
      }),
      { numRuns: 300 },
    );
  });

  it('accounts for every non-blank physical line of random bytes: in a record or a reject, once, in order', () => {
    const bytes = fc.array(fc.oneof(fc.constantFrom(0x2c, 0x22, 0x0a, 0x0d, 0x00, 0x41, 0x20, 0xc3, 0xa9, 0xff), fc.integer({ min: 0, max: 255 })), { maxLength: 400 });
    fc.assert(
      fc.property(bytes, fc.integer({ min: 1, max: 30 }), (arr, pieces) => {
        const buf = Buffer.from(arr);
        const recs = scan(buf, pieces);
        const lines = buf.toString('latin1').split('\n');
        if (lines.at(-1) === '') lines.pop();
        const nonBlank = lines.map((l, i) => [l.replace(/\r$/, ''), i + 1] as const).filter(([l]) => l.trim() !== '').map(([, n]) => n);
        const seen = covered(recs);
        // every non-blank line is covered exactly once; blank lines only inside a quoted field
        for (const n of nonBlank) expect(seen.filter((x) => x === n)).toHaveLength(1);
        expect(new Set(seen).size).toBe(seen.length);
        expect(recs.map((r) => r.line)).toEqual([...recs.map((r) => r.line)].sort((a, b) => a - b));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps memory bounded whatever the field size: an over-long line is one reject holding only its start', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_LINE_CHARS + 1, max: 3 * MAX_LINE_CHARS }), fc.boolean(), (size, quoted) => {
        const field = quoted ? `"${'x'.repeat(size)}` : 'x'.repeat(size);
        const recs = scan(Buffer.from(`a,b\n1,${field}\n2,ok\n`), 7);
        expect(recs.map((r) => [r.line, r.problem?.slice(0, 20)])).toEqual([[1, undefined], [2, 'line is longer than '], [3, undefined]]);
        expect(recs[1]!.cells.join('').length).toBeLessThanOrEqual(200);
      }),
      { numRuns: 20 },
    );
  });

  it('decides a line at the length limit the same wherever the buffers are cut, its \\r\\n included (CRLF files)', () => {
    // Lines of the limit's length and one more, CRLF, with a \r also at the 200th character (what a reject keeps):
    // the two-thread reading of the import cuts a file into buffers elsewhere than a single reading does.
    for (const size of [MAX_LINE_CHARS - 1, MAX_LINE_CHARS, MAX_LINE_CHARS + 1]) {
      const long = `2,${'y'.repeat(197)}\r${'x'.repeat(size - 200)}`;
      const bytes = Buffer.from(`a,b\r\n${long}\r\n3,ok\r\n`);
      const whole = scan(bytes, 1);
      expect(whole.map((r) => r.line)).toEqual([1, 2, 3]);
      // (At or under the limit the line is read, and marked for its \r, a control character: a bad value, not a
      // broken line, for the reader of the table to judge.)
      expect(whole[1]!.problem?.startsWith('line is longer than') ?? false).toBe(size > MAX_LINE_CHARS);
      expect(whole[1]!.control).toBe(size > MAX_LINE_CHARS ? undefined : true);
      const head = 'a,b\r\n'.length;
      for (const cut of [head + 1, head + 100, head + MAX_LINE_CHARS - 1, head + MAX_LINE_CHARS, head + MAX_LINE_CHARS + 1, head + MAX_LINE_CHARS + 2, head + size, head + size + 1]) {
        const s = new CsvScanner();
        const recs = [...s.push(bytes.subarray(0, cut)), ...s.push(bytes.subarray(cut)), ...s.end()];
        expect(recs, `size ${size}, cut at ${cut}`).toEqual(whole);
      }
    }
  });
});
