import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { format } from 'fast-csv';

/** What a reject keeps of a cell: a whole value up to this size; beyond it, the start and the length. */
const MAX_CELL = 4096;

/**
 * The rejects file every import writes next to its input: one CSV row per rejected line, `line, reason, values…`.
 * Writes wait for the disk when it falls behind, so a file with millions of rejects stays in bounded memory.
 */
export class RejectsFile {
  private readonly csv;
  private readonly out;
  count = 0;

  /** `bom`: for files office staff open in Excel, which needs it to show Vietnamese. */
  constructor(
    readonly path: string,
    header: readonly string[],
    options: { bom?: boolean } = {},
  ) {
    this.csv = format({ includeEndRowDelimiter: true, writeBOM: options.bom ?? false });
    this.out = createWriteStream(path);
    this.csv.pipe(this.out);
    this.csv.write([...header]);
  }

  async add(line: number, reason: string, cells: readonly string[]): Promise<void> {
    this.count += 1;
    const row = [String(line), reason, ...cells.map(cut)];
    if (!this.csv.write(row)) await once(this.csv, 'drain');
  }

  async close(): Promise<void> {
    this.csv.end();
    await finished(this.out);
  }
}

function cut(v: string): string {
  return v.length <= MAX_CELL ? v : `${v.slice(0, 200)}… [${v.length} ký tự, đã cắt]`;
}
