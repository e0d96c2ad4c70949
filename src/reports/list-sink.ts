// Where list files are produced: in this thread (a few units), or spread over worker threads (many units).
// Both take the same calls — begin a file with its first rows, add more, the last call saying so — so the
// stage that reads the data does not care. A file whose rows are all at hand is one call. A file that cannot be
// written is reported in `finish()` and the others go on: one unit's full disk or odd folder costs only its file.
import type { ListFileSpec } from './list-row.js';
import { ListFileWriter } from './list-file.js';

export interface FileDone {
  path: string;
  rows: number;
}

export interface FileFailed {
  spec: ListFileSpec;
  /** The error code (EACCES, ENOSPC…) or message: about files and folders, never about people. */
  reason: string;
}

export interface ListSink {
  /** Starts a file with its first rows; `last`: they are all of them, and the file is finished. */
  begin(spec: ListFileSpec, rows: unknown[], last: boolean): Promise<number>;
  rows(id: number, rows: unknown[], last: boolean): Promise<void>;
  /** Waits for every file begun: those written and those that failed. Rejects only when the sink itself broke. */
  finish(): Promise<{ done: FileDone[]; failed: FileFailed[] }>;
  close(): Promise<void>;
}

export function failureReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? e?.message ?? String(err);
}

/** Writes in the calling thread, one file after another. */
export class InlineSink implements ListSink {
  private next = 0;
  private readonly open = new Map<number, ListFileWriter>();
  private readonly done: FileDone[] = [];
  private readonly failed: FileFailed[] = [];

  async begin(spec: ListFileSpec, rows: unknown[], last: boolean): Promise<number> {
    // Stryker disable next-line UpdateOperator: a file's id only has to differ from the others of its sink; counting down does that too
    const id = this.next++;
    try {
      this.open.set(id, ListFileWriter.open(spec));
    } catch (err) {
      this.failed.push({ spec, reason: failureReason(err) });
      return id;
    }
    await this.rows(id, rows, last);
    return id;
  }

  async rows(id: number, rows: unknown[], last: boolean): Promise<void> {
    const w = this.open.get(id);
    if (!w) return; // the file failed earlier and is already reported
    try {
      w.add(rows);
      if (!last) return;
      this.open.delete(id);
      this.done.push({ path: w.path, rows: await w.close() });
    } catch (err) {
      this.open.delete(id);
      await w.abort();
      this.failed.push({ spec: w.spec, reason: failureReason(err) });
    }
  }

  async finish(): Promise<{ done: FileDone[]; failed: FileFailed[] }> {
    return { done: this.done, failed: this.failed };
  }

  // Stryker disable next-line BlockStatement: a ListFileWriter has nothing on disk until close() (written and renamed in one go): aborting an open one removes nothing
  async close(): Promise<void> {
    // Stryker disable next-line ArrayDeclaration,ArrowFunction: aborting an open ListFileWriter removes nothing
    await Promise.allSettled([...this.open.values()].map((w) => w.abort()));
    this.open.clear();
  }
}
