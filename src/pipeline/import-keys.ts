// The import's first reading of a large CSV on two threads. The first reading (every row's key and source hash to
// the file's key table, import-participants.ts) is nearly all this process's CPU in an unchanged re-import, the
// nightly case, and the database is idle while it runs; a worker thread reads the second half of the file while the
// main thread reads the first. Measured on the 1 M-row benchmark file (193 MB): the reading alone 3.7 s on one thread, 2.3 s on two.
//
// The file is cut at a line start near its middle. The worker scans from there as if a record started there; the
// main thread's reading stops at the cut only if its scanner stands outside any record (CsvReading), which makes
// the worker's records exactly those of a single reading. If not (a quoted field with line breaks across the cut,
// or an unbalanced quote resynchronising over it), the main thread reads on to the end itself and the worker's
// rows are dropped (their key lines carry by_worker, their rejects are in a part file of their own).
import { stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { FromKeysWorker, KeysWorkerData } from './import-keys-worker.js';
import { lineStartFrom, type Table } from './read-table.js';
import { RejectsFile } from './rejects-file.js';

/** Files from this size are read on two threads: below it, starting the thread costs more than it saves. */
export const TWO_THREADS_FROM = 32 * 1024 * 1024;

/**
 * The worker's heap. Its young generation bounds the garbage it lets pile up between collections: measured on the
 * 1 M-row re-import (the benchmark's process, after a fresh import), V8's default gave 4.8 s and a peak of
 * 296–316 MB; 24 MB, 5.0–5.2 s and 264–267 MB; 8 MB, 6.0 s. A part it holds is at most PART_ROWS rows.
 */
const WORKER_HEAP = { maxYoungGenerationSizeMb: 24, maxOldGenerationSizeMb: 256 };

export interface WorkerTotals {
  /** Rows the worker read, rejected ones included. */
  read: number;
  zero: number;
  two: number;
}

/** What the main thread does with the worker's parts. */
export interface KeysSink {
  keys(text: Uint8Array, rows: number): Promise<void> | undefined;
  /** Rows read so far by the worker, for the progress line. */
  read(rows: number): void;
}

/**
 * Starts a worker on the second half of `table`'s file and stops the table's own reading at the cut, when the file
 * is a CSV of at least `from` bytes. Null otherwise, the table then read whole on this thread: also when the worker
 * cannot be set up (`failed` is told why), which costs time, never rows. The worker's rejects wait in
 * `rejectsPath`.part, beside the rejects file (and like it overwritten by the next import).
 */
export async function startKeysWorker(
  table: Table,
  salt: string,
  sink: KeysSink,
  rejectsPath: string,
  options: { from?: number; failed?: (err: unknown) => void } = {},
): Promise<KeysWorker | null> {
  const reading = table.csv;
  if (!reading) return null;
  let rejects: RejectsFile | null = null;
  try {
    const size = (await stat(reading.file)).size;
    if (size < (options.from ?? TWO_THREADS_FROM) || size < 2) return null;
    const at = await lineStartFrom(reading.file, Math.floor(size / 2));
    if (at === null || !reading.canStopAt(at)) return null;
    rejects = await RejectsFile.open(`${rejectsPath}.part`, null);
    const data: KeysWorkerData = { file: reading.file, start: at, header: table.header, fields: reading.fields, separator: reading.separator, salt };
    const worker = new Worker(new URL('./import-keys-worker.mjs', import.meta.url), { workerData: data, resourceLimits: WORKER_HEAP });
    // Last, once nothing can fail: from here the rows past the cut are the worker's.
    reading.stopAt(at);
    return new KeysWorker(worker, rejects, sink);
  } catch (err) {
    await rejects?.discard();
    options.failed?.(err);
    return null;
  }
}

export class KeysWorker {
  private read = 0;
  private zero = 0;
  private two = 0;
  /** Key lines in the parts taken, to check against the worker's own totals (its rejects: `rejects.count`). */
  private sent = 0;
  /** Parts are handled one after the other, in the order they come. */
  private chain: Promise<void> = Promise.resolve();
  private readonly finished: Promise<void>;
  private stopped = false;

  constructor(
    private readonly worker: Worker,
    /** The worker's rejects, until the main reading's rejects file takes them in. */
    readonly rejects: RejectsFile,
    private readonly sink: KeysSink,
  ) {
    this.finished = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromKeysWorker) => {
        this.chain = this.chain.then(() => this.take(m)).catch((err: unknown) => {
          reject(err as Error);
          void this.worker.terminate();
        });
        if (m.kind === 'done') void this.chain.then(resolve);
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        if (!this.stopped) reject(new Error(`the import's reading thread stopped (exit code ${code})`));
      });
    });
    this.finished.catch(() => undefined); // surfaced by done()
  }

  private async take(m: FromKeysWorker): Promise<void> {
    if (this.stopped) return;
    if (m.kind === 'done') {
      const t = m.total;
      // Every row the thread read is a key line or a reject, and every part it sent was taken: else rows would be
      // lost without a word, which the import must never do.
      const took = { read: this.read, sent: this.sent, rejected: this.rejects.count };
      if (t.read !== took.read || t.read !== t.sent + t.rejected || t.sent !== took.sent || t.rejected !== took.rejected) {
        throw new Error(`the import's reading thread does not account for every row (${JSON.stringify({ ...t, took })})`);
      }
      this.zero = m.zero;
      this.two = m.two;
      this.stopped = true;
      return;
    }
    this.read += m.read;
    this.sent += m.sent;
    this.sink.read(this.read);
    for (const [line, reason, cells] of m.rejects) await this.rejects.add(line, reason, cells);
    if (m.sent > 0) await this.sink.keys(m.text, m.sent);
    this.worker.postMessage('next');
  }

  /** Waits for the worker's whole part: its totals; its rejects are in `rejects`. */
  async done(): Promise<WorkerTotals> {
    await this.finished;
    await this.worker.terminate();
    return { read: this.read, zero: this.zero, two: this.two };
  }

  /** Stops the worker and drops its rejects (the main reading read its part itself, or the import failed). */
  async discard(): Promise<void> {
    this.stopped = true;
    await this.worker.terminate();
    await this.chain.catch(() => undefined);
    await this.rejects.discard();
  }
}
