// Where list files are produced: in this thread (a few units), or spread over worker threads (many units).
// Both take the same calls — begin a file, add rows, end it — so the stage that reads the data does not care.
import type { ListFileSpec } from './list-row.js';
import { ListFileWriter } from './list-file.js';

export interface FileDone {
  path: string;
  rows: number;
}

export interface ListSink {
  begin(spec: ListFileSpec): Promise<number>;
  rows(id: number, rows: unknown[]): Promise<void>;
  end(id: number): Promise<void>;
  /** Waits for every file begun; rejects with the first failure. */
  finish(): Promise<FileDone[]>;
  close(): Promise<void>;
}

/** Files finishing at once in one thread: while one waits for the disk another is rendered. */
export const FILES_IN_FLIGHT = 4;

/** Writes in the calling thread. */
export class InlineSink implements ListSink {
  private next = 0;
  private readonly open = new Map<number, ListFileWriter>();
  private readonly closing = new Set<Promise<void>>();
  private readonly done: FileDone[] = [];
  private failure: unknown = null;

  async begin(spec: ListFileSpec): Promise<number> {
    this.throwIfFailed();
    const id = this.next++;
    this.open.set(id, ListFileWriter.open(spec));
    return id;
  }

  async rows(id: number, rows: unknown[]): Promise<void> {
    this.throwIfFailed();
    this.writer(id).add(rows);
  }

  async end(id: number): Promise<void> {
    const w = this.writer(id);
    this.open.delete(id);
    const p: Promise<void> = w
      .close()
      .then((rows) => void this.done.push({ path: w.path, rows }))
      .catch((err: unknown) => void (this.failure ??= err))
      .finally(() => this.closing.delete(p));
    this.closing.add(p);
    while (this.closing.size >= FILES_IN_FLIGHT) await Promise.race(this.closing);
    this.throwIfFailed();
  }

  async finish(): Promise<FileDone[]> {
    await Promise.all(this.closing);
    this.throwIfFailed();
    return this.done;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.closing);
    await Promise.allSettled([...this.open.values()].map((w) => w.abort()));
    this.open.clear();
  }

  private writer(id: number): ListFileWriter {
    const w = this.open.get(id);
    if (!w) throw new Error(`list file ${id} is not open`);
    return w;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
