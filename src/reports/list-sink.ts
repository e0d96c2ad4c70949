// Where list files are produced: in this thread (a few units), or spread over worker threads (many units).
// Both take the same calls — begin a file with its first rows, add more, the last call saying so — so the
// stage that reads the data does not care. A file whose rows are all at hand is one call.
import type { ListFileSpec } from './list-row.js';
import { ListFileWriter } from './list-file.js';

export interface FileDone {
  path: string;
  rows: number;
}

export interface ListSink {
  /** Starts a file with its first rows; `last`: they are all of them, and the file is finished. */
  begin(spec: ListFileSpec, rows: unknown[], last: boolean): Promise<number>;
  rows(id: number, rows: unknown[], last: boolean): Promise<void>;
  /** Waits for every file begun; rejects with the first failure. */
  finish(): Promise<FileDone[]>;
  close(): Promise<void>;
}

/** Writes in the calling thread, one file after another. */
export class InlineSink implements ListSink {
  private next = 0;
  private readonly open = new Map<number, ListFileWriter>();
  private readonly done: FileDone[] = [];

  async begin(spec: ListFileSpec, rows: unknown[], last: boolean): Promise<number> {
    const id = this.next++;
    this.open.set(id, ListFileWriter.open(spec));
    await this.rows(id, rows, last);
    return id;
  }

  async rows(id: number, rows: unknown[], last: boolean): Promise<void> {
    const w = this.open.get(id);
    if (!w) throw new Error(`list file ${id} is not open`);
    try {
      w.add(rows);
      if (!last) return;
      this.open.delete(id);
      this.done.push({ path: w.path, rows: await w.close() });
    } catch (err) {
      this.open.delete(id);
      await w.abort();
      throw err;
    }
  }

  async finish(): Promise<FileDone[]> {
    return this.done;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.open.values()].map((w) => w.abort()));
    this.open.clear();
  }
}
