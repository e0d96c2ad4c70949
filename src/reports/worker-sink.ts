// Spreads list files over worker threads. A file stays on the worker it began on; a new file goes to the worker
// with the least work queued. The main thread waits before sending more when a worker has too many rows or
// files outstanding, so memory stays flat however many units there are.
import { Worker } from 'node:worker_threads';
import type { ListFileSpec } from './list-row.js';
import type { FileDone, FileFailed, ListSink } from './list-sink.js';
import type { FromWorker, ToWorker } from './list-worker.js';

const MAX_QUEUED_ROWS = 20_000;
// Enough files queued on a worker to keep it busy while the main thread waits for the next page of rows.
const MAX_OPEN_FILES = 32;

interface Slot {
  worker: Worker;
  queuedRows: number;
  openFiles: number;
  waiters: Array<() => void>;
}

export class WorkerSink implements ListSink {
  private readonly slots: Slot[];
  private readonly fileSlot = new Map<number, Slot>();
  private readonly done: FileDone[] = [];
  private readonly failed: FileFailed[] = [];
  /** Files begun and not yet done or failed, so a failure can say whose file it was. */
  private readonly specs = new Map<number, ListFileSpec>();
  private next = 0;
  private pending = 0;
  private failure: Error | null = null;
  private settled: Array<() => void> = [];
  private closing = false;

  constructor(workers: number) {
    this.slots = Array.from({ length: workers }, () => {
      const slot: Slot = {
        worker: new Worker(new URL('./list-worker.mjs', import.meta.url)),
        queuedRows: 0,
        openFiles: 0,
        waiters: [],
      };
      slot.worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
      slot.worker.on('error', (err) => this.fail(new Error(`a list worker failed: ${err.message}`, { cause: err })));
      slot.worker.on('exit', (code) => {
        if (code !== 0 && !this.closing) this.fail(new Error(`a list worker exited with code ${code}`));
      });
      return slot;
    });
  }

  async begin(spec: ListFileSpec, rows: unknown[], last: boolean): Promise<number> {
    this.throwIfFailed();
    const slot = this.slots.reduce((a, b) => (b.queuedRows + b.openFiles * 50 < a.queuedRows + a.openFiles * 50 ? b : a));
    await this.waitWhile(slot, () => slot.openFiles >= MAX_OPEN_FILES || slot.queuedRows >= MAX_QUEUED_ROWS);
    const id = this.next++;
    if (!last) this.fileSlot.set(id, slot);
    this.specs.set(id, spec);
    slot.openFiles += 1;
    slot.queuedRows += rows.length;
    this.pending += 1;
    this.send(slot, { kind: 'begin', id, spec, rows, last });
    return id;
  }

  async rows(id: number, rows: unknown[], last: boolean): Promise<void> {
    this.throwIfFailed();
    const slot = this.slot(id);
    await this.waitWhile(slot, () => slot.queuedRows >= MAX_QUEUED_ROWS);
    if (last) this.fileSlot.delete(id);
    slot.queuedRows += rows.length;
    this.send(slot, { kind: 'rows', id, rows, last });
  }

  async finish(): Promise<{ done: FileDone[]; failed: FileFailed[] }> {
    while (this.pending > 0 && !this.failure) await new Promise<void>((resolve) => this.settled.push(resolve));
    this.throwIfFailed();
    return { done: this.done, failed: this.failed };
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    slot.queuedRows -= m.sent;
    if (m.kind !== 'ack') {
      slot.openFiles -= 1;
      this.pending -= 1;
      if (m.kind === 'done') this.done.push({ path: m.path, rows: m.rows });
      else this.failed.push({ spec: this.specs.get(m.id)!, reason: m.message });
      this.specs.delete(m.id);
      if (this.pending === 0) this.wakeSettled();
    }
    const waiting = slot.waiters.splice(0);
    for (const w of waiting) w();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const s of this.slots) for (const w of s.waiters.splice(0)) w();
    this.wakeSettled();
  }

  private wakeSettled(): void {
    for (const w of this.settled.splice(0)) w();
  }

  private async waitWhile(slot: Slot, busy: () => boolean): Promise<void> {
    for (;;) {
      this.throwIfFailed();
      if (!busy()) return;
      await new Promise<void>((resolve) => slot.waiters.push(resolve));
    }
  }

  private send(slot: Slot, m: ToWorker): void {
    slot.worker.postMessage(m);
  }

  private slot(id: number): Slot {
    const s = this.fileSlot.get(id);
    if (!s) throw new Error(`list file ${id} is not open`);
    return s;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
