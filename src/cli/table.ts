// A plain text table for a person at a terminal. Hand-written: a header, a rule and padded columns are all it
// needs, and a table package would not know that Vietnamese letters with two diacritics are one character wide
// only in NFC (here every value is measured in NFC code points).

const width = (s: string) => [...s.normalize('NFC')].length;

/** Columns separated by two spaces, the header underlined; the last column is not padded. */
export function textTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.normalize('NFC') + ' '.repeat(widths[i]! - width(c))))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}
