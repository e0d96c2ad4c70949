import { createReadStream, createWriteStream } from 'node:fs';
import { access, constants, open as openFile, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { format } from 'fast-csv';
import { cannotOpen, cannotWrite, UsageError } from '../errors.js';
import { csvText } from '../domain/spreadsheet-text.js';
import { makeFolders, PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE } from '../make-folders.js';

/** What a reject keeps of a cell: a whole value up to this size; beyond it, the start and the length. */
const MAX_CELL = 4096;

/**
 * The rejects file every import writes next to its input: one CSV row per rejected line, `line, reason, values…`.
 * Writes wait for the disk when it falls behind, so a file with millions of rejects stays in bounded memory.
 */
export class RejectsFile {
  /** The formatter of the rows to come; null after append() until a row comes (an unused one ends with a bare line break). */
  private csv: ReturnType<typeof format> | null;
  private readonly out;
  /** The first error writing the file (a full disk, a quota): every later write, and the close, say so. */
  private failure: Error | null = null;
  count = 0;
  /** The rejected line that comes last in the file, with its reason (a cut last line is told apart by it). */
  last: { line: number; reason: string } | null = null;

  /**
   * Makes the file, or says why it cannot (`cannot open PATH: no such folder…`) rather than failing later in the
   * stream. `header`: null for a part that another rejects file takes in (append). `bom`: for files office staff
   * open in Excel, which needs it to show Vietnamese.
   */
  static async open(path: string, header: readonly string[] | null, options: { bom?: boolean; input?: string } = {}): Promise<RejectsFile> {
    await RejectsFile.check(path, options.input);
    const file = new RejectsFile(path, header, options);
    try {
      if (file.out.pending) await once(file.out, 'ready');
    } catch (err) {
      await file.discard();
      throw cannotOpen(path, err);
    }
    return file;
  }

  /**
   * What open() refuses, said without emptying the file: a path that is the input, a folder that cannot be made, a
   * file that cannot be written. For an import that must wait its turn before it opens the file (another import may
   * be writing the same one): a wrong path is said at once, not after the wait.
   */
  static async check(path: string, input?: string): Promise<void> {
    if (input !== undefined && (await sameFile(path, input))) {
      // Opening it would empty the file being imported: the night's export, gone, and the import told to go again.
      throw new UsageError(`the rejects file ${path} is the file being imported; give --rejects another path (default: FILE.rejects.csv)`);
    }
    // Its folder is made, as `export results --out` and `lists --out` make theirs (`--rejects rejects/today.csv`).
    try {
      await makeFolders(dirname(path), PRIVATE_FOLDER_MODE);
      // A file there is opened to append, which changes nothing of it, and closed. Where there is none, nothing is
      // made, only its folder asked whether it takes a new file: an import stopped while it waited for its turn
      // (Ctrl-C, cron's timeout) left an empty rejects file, which reads as "nothing was rejected".
      if (await stat(path).then(() => true, (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? false : Promise.reject(err))))
        await (await openFile(path, 'a')).close();
      else await access(dirname(path), constants.W_OK | constants.X_OK);
    } catch (err) {
      throw cannotOpen(path, err);
    }
  }

  private constructor(
    readonly path: string,
    header: readonly string[] | null,
    options: { bom?: boolean },
  ) {
    // Rows with names and ID numbers: owner and group only when made (one already there keeps its mode).
    this.out = createWriteStream(path, { mode: PRIVATE_FILE_MODE });
    // Without a listener a failed write (ENOSPC) was an unhandled 'error' event: Node's stack trace, and the import
    // stopped wherever it was. The error is kept and thrown by the next add or by close, naming the file.
    this.out.on('error', (err) => this.fail(err));
    this.csv = this.formatter(options.bom ?? false);
    if (header) this.csv.write(header.map(csvText)); // the input's own header, text from outside too
  }

  private formatter(bom: boolean) {
    const csv = format({ includeEndRowDelimiter: true, writeBOM: bom });
    csv.on('error', (err: Error) => (this.failure ??= err));
    csv.pipe(this.out, { end: false });
    return csv;
  }

  /** The file cannot be written: the formatter is stopped too, so that a write waiting for it to drain fails. */
  private fail(err: Error): void {
    this.failure ??= err;
    this.csv?.destroy(err);
  }

  private failed(err: unknown): Error {
    return cannotWrite(this.path, this.failure ?? err);
  }

  /**
   * Takes in the rows of `part` (a file made with no header), after the rows written so far; removes its file. A
   * part with no rows adds nothing.
   */
  async append(part: RejectsFile): Promise<void> {
    if (part.count === 0) return part.discard();
    await part.close();
    // What this file's formatter holds reaches the file first; a new formatter takes the rows after.
    await this.endFormatter();
    try {
      for await (const chunk of createReadStream(part.path)) {
        if (this.failure) throw this.failure;
        if (!this.out.write(chunk)) await once(this.out, 'drain');
      }
    } catch (err) {
      throw this.failed(err);
    }
    this.count += part.count;
    if (part.last && part.last.line > (this.last?.line ?? 0)) this.last = part.last;
    await rm(part.path, { force: true });
  }

  /** Drops the file, whatever state it is in (a part that is not taken in, or could not be made). */
  async discard(): Promise<void> {
    this.csv?.destroy();
    this.csv = null;
    this.out.destroy();
    await finished(this.out).catch(() => undefined);
    await rm(this.path, { force: true }).catch(() => undefined);
  }

  private async endFormatter(): Promise<void> {
    const csv = this.csv;
    this.csv = null;
    if (!csv) return;
    csv.end();
    await finished(csv);
  }

  async add(line: number, reason: string, cells: readonly string[]): Promise<void> {
    if (this.failure) throw this.failed(this.failure);
    this.count += 1;
    if (line > (this.last?.line ?? 0)) this.last = { line, reason };
    const row = [String(line), csvText(reason), ...cells.map((c) => csvText(cut(c)))];
    const csv = (this.csv ??= this.formatter(false));
    if (!csv.write(row)) await once(csv, 'drain').catch((err: unknown) => Promise.reject(this.failed(err)));
  }

  /** Writes out what is held; throws `cannot write PATH: …` when the file could not be written whole. */
  async close(): Promise<void> {
    try {
      await this.endFormatter();
      if (!this.out.writableEnded) this.out.end();
      await finished(this.out);
    } catch (err) {
      throw this.failed(err);
    }
    if (this.failure) throw this.failed(this.failure);
  }
}

function cut(v: string): string {
  return v.length <= MAX_CELL ? v : `${v.slice(0, 200)}… [${v.length} ký tự, đã cắt]`;
}

/** The same path, or two names (a link, a relative path) of the same file on disk. */
async function sameFile(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true;
  const [x, y] = await Promise.all([stat(a).catch(() => null), stat(b).catch(() => null)]);
  return x !== null && y !== null && x.dev === y.dev && x.ino === y.ino;
}
