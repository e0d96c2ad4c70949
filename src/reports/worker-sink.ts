// Spreads list files over worker threads. A file stays on the worker it began on; a new file goes to the worker
// with the least work queued. The main thread waits before sending more when a worker has too many rows or
// files outstanding, so memory stays flat however many units there are.
//
// The threads are a ListWorkerPool. `ddcn lists` makes one for its run; the portal keeps one for as long as it
// serves, so that making a download's workbook (tens of milliseconds for a 500-person Mẫu 02, ~100 ms for the
// national Mẫu 03 through exceljs) never holds the thread that answers everybody else's pages, and no download pays
// for starting a thread.
import { Worker } from 'node:worker_threads';
import type { ListFileSpec } from './list-row.js';
import type { FileDone, FileFailed, ListSink } from './list-sink.js';
import type { FromWorker, ToWorker } from './list-worker.js';
import type { ProgressReport } from './mau03.js';

const MAX_QUEUED_ROWS = 20_000;
// Enough files queued on a worker to keep it busy while the main thread waits for the next page of rows.
const MAX_OPEN_FILES = 32;

/**
 * The old generation of a thread of `ddcn lists`'s own pool, in MB. What such a thread holds is bounded (rows come in
 * pieces, at most MAX_QUEUED_ROWS queued; a file's string table and sheet piece): after full collections at most
 * ~25 MB, also writing one unit of 405 000 people, or 159 000 Mẫu 02 rows with 200-character names (`--trace-gc`).
 * Left to V8's default, a thread's heap grew with the length of the run rather than with what it held: 93–96 MB
 * before a collection at 1 M people, 118–120 MB at 10 M, which put `ddcn lists` at 10 M 14–16 % above its 1 M
 * peak RSS. A pool shared with the portal keeps the default: it also builds a unit's whole file from one message.
 */
export const LISTS_THREAD_HEAP_MB = 64;

interface Slot {
  worker: Worker | null; // started on first use
  queuedRows: number;
  openFiles: number;
  waiters: Array<() => void>;
}

/** A download's list file being made (ListWorkerPool.openBytes). */
export interface BytesFile {
  /** More people, after those already sent; waits while the thread has too many rows queued. */
  add(rows: unknown[]): Promise<void>;
  /** Ends the file (call it once): its workbook's bytes. */
  bytes(): Promise<Buffer>;
  /** Gives up on the file (the request failed): the thread drops it. */
  abandon(): void;
}

/** Who hears about a file: its answers, or that its thread died (`id`: the file's). */
type Owner = { message: (m: FromWorker) => void; broken: (err: Error, id: number) => void };

/** Worker threads that write list files and Mẫu 03 workbooks, shared by whoever holds the pool. */
export class ListWorkerPool {
  private readonly slots: Slot[];
  /** Who waits for the answers about each file in flight. */
  private readonly owners = new Map<number, { slot: Slot; owner: Owner }>();
  private next = 0;
  private closing = false;

  /**
   * `nice`: the threads' nice value (0–19; higher yields the CPU to the process's other threads). `heapMb`: each
   * thread's old generation (V8's default when not given).
   */
  constructor(
    readonly size: number,
    private readonly options: { nice?: number; heapMb?: number } = {},
  ) {
    if (!(size >= 1)) throw new Error('a list worker pool needs at least one thread');
    this.slots = Array.from({ length: size }, () => ({ worker: null, queuedRows: 0, openFiles: 0, waiters: [] }));
  }

  /** The slot with the least work queued, once it has room for one more file. */
  async slotForNewFile(): Promise<Slot> {
    // Stryker disable next-line EqualityOperator,ArithmeticOperator: load balancing only: any thread writes the file the same
    const slot = this.slots.reduce((a, b) => (b.queuedRows + b.openFiles * 50 < a.queuedRows + a.openFiles * 50 ? b : a));
    await this.waitWhile(slot, () => slot.openFiles >= MAX_OPEN_FILES || slot.queuedRows >= MAX_QUEUED_ROWS);
    return slot;
  }

  // Stryker disable next-line BlockStatement: flow control only: the worker takes messages in order whether the main thread waits or not
  async waitForRoom(slot: Slot): Promise<void> {
    // Stryker disable next-line ArrowFunction,ConditionalExpression,EqualityOperator: flow control only
    await this.waitWhile(slot, () => slot.queuedRows >= MAX_QUEUED_ROWS);
  }

  /** Sends the first message of a file (or a whole job) and registers who hears about it. */
  start(slot: Slot, owner: Owner, message: (id: number) => ToWorker): number {
    this.throwIfClosed();
    // Stryker disable next-line UpdateOperator: a file's id only has to differ from the others in flight; counting down does that too
    const id = this.next++;
    this.owners.set(id, { slot, owner });
    slot.openFiles += 1;
    this.send(slot, message(id));
    return id;
  }

  send(slot: Slot, m: ToWorker): void {
    if ('rows' in m) slot.queuedRows += m.rows.length;
    this.worker(slot).postMessage(m);
  }

  /** A file its owner gives up on (its request failed): the worker drops it; nothing more is heard of it. */
  abandon(id: number): void {
    const entry = this.owners.get(id);
    if (!entry) return;
    this.owners.delete(id);
    entry.slot.openFiles -= 1;
    // A file's entry lives only as long as its thread: start() started it, and broke() drops the entries with it.
    entry.slot.worker!.postMessage({ kind: 'abort', id } satisfies ToWorker);
    this.wake(entry.slot);
  }

  /** Mẫu 03 made in a worker thread, as bytes (writeMau03's workbook, nothing written to disk). */
  mau03Bytes(report: ProgressReport): Promise<Buffer> {
    return this.requestBytes((id) => ({ kind: 'mau03', id, report }), 'Mẫu 03 not made');
  }

  /** Starts the threads now rather than with the first file (a thread loads its code for a good second). */
  warm(): void {
    for (const slot of this.slots) this.worker(slot);
  }

  /**
   * One list file made in a worker thread from rows sent in pieces, and given back as bytes: nothing is written to
   * disk (a portal download). The rows wait for room as `ddcn lists`' do, so what a download holds at once is a
   * page of rows and the workbook being made, whatever the size of the unit.
   */
  async openBytes(spec: ListFileSpec): Promise<BytesFile> {
    const slot = await this.slotForNewFile();
    let failure: Error | null = null;
    let resolve: (bytes: Buffer) => void = () => {};
    let reject: (err: Error) => void = () => {};
    const made = new Promise<Buffer>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    made.catch(() => undefined); // heard by the next add() or by bytes()
    const failed = (err: Error) => {
      failure = err;
      reject(err);
    };
    const id = this.start(
      slot,
      {
        message: (m) => {
          if (m.kind === 'bytes') resolve(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
          if (m.kind === 'failed') failed(new Error(`list file not made: ${m.message}`));
        },
        broken: failed,
      },
      (id) => ({ kind: 'begin', id, spec, rows: [], last: false, bytes: true }),
    );
    const throwIfFailed = () => {
      if (failure) throw failure;
    };
    return {
      add: async (rows) => {
        throwIfFailed();
        await this.waitForRoom(slot);
        throwIfFailed();
        this.send(slot, { kind: 'rows', id, rows, last: false });
      },
      bytes: () => {
        // Once it failed (its thread may be gone), nothing more is sent for it.
        if (!failure) this.send(slot, { kind: 'rows', id, rows: [], last: true });
        return made;
      },
      abandon: () => this.abandon(id),
    };
  }

  /** Sends one whole job and waits for the workbook's bytes it is answered with. */
  private async requestBytes(message: (id: number) => ToWorker, failure: string): Promise<Buffer> {
    const slot = await this.slotForNewFile();
    return new Promise<Buffer>((resolve, reject) => {
      this.start(
        slot,
        {
          message: (m) => {
            if (m.kind === 'bytes') resolve(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
            // Stryker disable next-line ConditionalExpression: a whole-file job is answered with bytes or failed, nothing else
            if (m.kind === 'failed') reject(new Error(`${failure}: ${m.message}`));
          },
          broken: reject,
        },
        message,
      );
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    // Whoever still waits for a file hears that it will not come, and whoever waits for room stops waiting.
    const closed = new Error('the list worker pool is closed');
    const owners = [...this.owners];
    this.owners.clear();
    for (const [id, e] of owners) e.owner.broken(closed, id);
    for (const slot of this.slots) this.wake(slot);
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
  }

  private worker(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const heapMb = this.options.heapMb;
    const worker = new Worker(new URL('./list-worker.mjs', import.meta.url), {
      workerData: { nice: this.options.nice ?? 0 },
      resourceLimits: heapMb === undefined ? undefined : { maxOldGenerationSizeMb: heapMb },
    });
    // Answers a thread sent just before it died are not this slot's any more (its counts were reset when it died).
    worker.on('message', (m: FromWorker) => {
      if (slot.worker === worker) this.onMessage(slot, m);
    });
    const broke = (err: Error) => {
      if (this.closing || slot.worker !== worker) return;
      // The thread is gone, and with it every file it held: their owners hear so, and the next file starts a new one.
      slot.worker = null;
      slot.queuedRows = 0;
      slot.openFiles = 0;
      for (const [id, e] of this.owners) {
        if (e.slot !== slot) continue;
        this.owners.delete(id);
        e.owner.broken(err, id);
      }
      this.wake(slot);
    };
    worker.on('error', (err) => broke(new Error(`a list worker failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => broke(new Error(`a list worker exited with code ${code}`)));
    slot.worker = worker;
    return worker;
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    slot.queuedRows -= m.sent;
    const entry = this.owners.get(m.id);
    if (m.kind !== 'ack' && entry) {
      slot.openFiles -= 1;
      this.owners.delete(m.id);
    }
    entry?.owner.message(m);
    this.wake(slot);
  }

  private wake(slot: Slot): void {
    for (const w of slot.waiters.splice(0)) w();
  }

  private async waitWhile(slot: Slot, busy: () => boolean): Promise<void> {
    while (busy()) {
      this.throwIfClosed();
      await new Promise<void>((resolve) => slot.waiters.push(resolve));
    }
  }

  private throwIfClosed(): void {
    if (this.closing) throw new Error('the list worker pool is closed');
  }
}

/** The files of one `ddcn lists` run or one download, written by a pool's threads. */
export class WorkerSink implements ListSink {
  private readonly pool: ListWorkerPool;
  private readonly ownsPool: boolean;
  private readonly fileSlot = new Map<number, Slot>();
  /** Files that failed while more of their rows were still to come (rows() takes those quietly). */
  private readonly failedEarly = new Set<number>();
  private readonly done: FileDone[] = [];
  private readonly failed: FileFailed[] = [];
  /** Files begun and not yet done or failed, so a failure can say whose file it was. */
  private readonly specs = new Map<number, ListFileSpec>();
  private pending = 0;
  /** A thread that died: its error, and the files of this sink it had (pool's broke: all in one go). */
  private failure: { err: Error; paths: string[] } | null = null;
  private settled: Array<() => void> = [];
  private readonly owner: Owner = {
    message: (m) => this.onMessage(m),
    broken: (err, id) => this.fail(err, this.specs.get(id)),
  };

  /**
   * `workers`: threads of a pool of its own (`ddcn lists`: rows come in pieces, LISTS_THREAD_HEAP_MB), closed with
   * the sink; or a pool shared with others, left open.
   */
  constructor(workers: number | ListWorkerPool) {
    this.ownsPool = typeof workers === 'number';
    this.pool = typeof workers === 'number' ? new ListWorkerPool(workers, { heapMb: LISTS_THREAD_HEAP_MB }) : workers;
  }

  async begin(spec: ListFileSpec, rows: unknown[], last: boolean): Promise<number> {
    this.throwIfFailed();
    const slot = await this.pool.slotForNewFile();
    this.throwIfFailed();
    this.pending += 1;
    const id = this.pool.start(slot, this.owner, (id) => ({ kind: 'begin', id, spec, rows, last }));
    if (!last) this.fileSlot.set(id, slot);
    this.specs.set(id, spec);
    return id;
  }

  async rows(id: number, rows: unknown[], last: boolean): Promise<void> {
    this.throwIfFailed();
    const slot = this.fileSlot.get(id);
    if (!slot) {
      // The file failed before its last rows came (reported by finish, as InlineSink does): they go nowhere.
      if (this.failedEarly.has(id)) {
        if (last) this.failedEarly.delete(id);
        return;
      }
      throw new Error(`list file ${id} is not open`);
    }
    await this.pool.waitForRoom(slot);
    this.throwIfFailed();
    // It may have failed while this waited for room.
    if (!this.fileSlot.has(id)) return this.rows(id, rows, last);
    if (last) this.fileSlot.delete(id);
    // Stryker disable next-line StringLiteral: the worker takes any message that is not begin, build, mau03 or abort as more rows of an open file
    this.pool.send(slot, { kind: 'rows', id, rows, last });
  }

  async finish(): Promise<{ done: FileDone[]; failed: FileFailed[] }> {
    while (this.pending > 0 && !this.failure) await new Promise<void>((resolve) => this.settled.push(resolve));
    this.throwIfFailed();
    return { done: this.done, failed: this.failed };
  }

  async close(): Promise<void> {
    // Files still open (the run failed half-way) are dropped by their worker.
    for (const id of this.specs.keys()) this.pool.abandon(id);
    this.specs.clear();
    this.fileSlot.clear();
    if (this.ownsPool) await this.pool.close();
  }

  private onMessage(m: FromWorker): void {
    if (m.kind === 'ack' || m.kind === 'bytes') return; // bytes answer openBytes and mau03Bytes only
    this.pending -= 1;
    if (m.kind === 'done') this.done.push({ path: m.path, rows: m.rows });
    else {
      this.failed.push({ spec: this.specs.get(m.id)!, reason: m.message });
      if (this.fileSlot.has(m.id)) this.failedEarly.add(m.id);
    }
    this.specs.delete(m.id);
    this.fileSlot.delete(m.id);
    // Stryker disable next-line ConditionalExpression: waking the waiters early changes nothing: finish() checks again what is pending
    if (this.pending === 0) this.wakeSettled();
  }

  /** The run stops; the operator is told which files the thread had (their units' folders). */
  private fail(err: Error, spec?: ListFileSpec): void {
    this.failure ??= { err, paths: [] };
    if (spec && this.failure.err === err) this.failure.paths.push(spec.path);
    this.wakeSettled();
  }

  private wakeSettled(): void {
    for (const w of this.settled.splice(0)) w();
  }

  private throwIfFailed(): void {
    if (!this.failure) return;
    const { err, paths } = this.failure;
    throw paths.length ? new Error(`${err.message} (it had ${paths.join(', ')})`, { cause: err.cause ?? err }) : err;
  }
}
