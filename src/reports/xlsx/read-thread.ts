// Reads a workbook on a thread of its own, within a heap, a time and a size of result. exceljs was never made for
// hostile files: four reviews each found another shape (merged ranges, validations, defined names, column ranges, …)
// that makes it build cells by the million or compare them pairwise. The checks before it (part-sizes.ts,
// sheet-extent.ts) refuse every shape known; this bounds the ones not yet known, so that whatever exceljs does with
// a file, it costs at most the heap and the seconds given here, and the process that asked — the portal serving
// everyone, or the nightly import — goes on.
//
// The thread runs one exported function of one module (`fn` of `module`, by URL) on the file and sends back its
// plain result as JSON bytes, at most `maxResultBytes` (read-thread.mjs says why not a structured clone); an error
// comes back as its message (and `vi`, the clerk's wording, when it has one), with whether it was a UserError (a
// refusal to show) or not (a fault: its message is the module's own, no personal data).
//
// A thread is kept a while after a read that ended well, for the next one with the same heap: starting one costs
// ~0.45 s (TypeScript loader and exceljs loaded anew), more than reading a unit's Mẫu 02. A thread that met a limit
// is stopped, never reused.
import { Worker } from 'node:worker_threads';
import pLimit from 'p-limit';

export interface ThreadLimits {
  /** The thread's heap, its old generation (V8's `maxOldGenerationSizeMb`). */
  heapMb: number;
  /** Past this, the thread is stopped. */
  timeoutMs: number;
  /**
   * The most the result may hold, as JSON (UTF-8): what the main thread takes in. A cell's text is in the workbook
   * once however many cells show it, so the unpacked size alone does not bound the result.
   */
  maxResultBytes: number;
}

export type ThreadOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; limit: 'memory' | 'time' | 'size' }
  | { ok: false; error: { message: string; user: boolean; vi?: string } };

/** 1.2 MB, 340 KB. */
const sizeText = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`);

/** What the file did, for the refusal both readers write: `needs more than 1024 MB of memory to read`. */
export function limitMet(limit: 'memory' | 'time' | 'size', limits: ThreadLimits): string {
  if (limit === 'memory') return `needs more than ${limits.heapMb} MB of memory to read`;
  if (limit === 'time') return `took more than ${limits.timeoutMs / 1000} s to read`;
  return `holds more than ${sizeText(limits.maxResultBytes)} of text once read, twice what it unpacks to (a long text repeated in many cells?)`;
}

/**
 * Threads reading at once in this process: two heaps at most, whatever the number of uploads in flight (the others
 * wait their turn; each turn is bounded by its time limit).
 */
const running = pLimit(2);

/** How long a thread waits for another read before it is stopped. */
const IDLE_MS = 60_000;
/** Idle threads kept at most, one per heap size: a third stops the one idle longest. */
const IDLE_KEPT = 2;

interface Idle {
  worker: Worker;
  timer: NodeJS.Timeout;
  onExit: () => void;
}

/** Idle threads by heap size, the one idle longest first. */
const idle = new Map<number, Idle>();

function startThread(heapMb: number): Worker {
  const worker = new Worker(new URL('./read-thread.mjs', import.meta.url), {
    // The young generation small: what the reader lets pile up between collections counts against the heap too.
    resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
  });
  // Between reads no one else listens: an error then (none is known) must not become the process's uncaught one.
  worker.on('error', () => undefined);
  return worker;
}

function takeIdle(heapMb: number): Worker | null {
  const kept = idle.get(heapMb);
  if (!kept) return null;
  idle.delete(heapMb);
  clearTimeout(kept.timer);
  kept.worker.off('exit', kept.onExit);
  kept.worker.ref();
  return kept.worker;
}

function keepIdle(heapMb: number, worker: Worker): void {
  if (idle.has(heapMb)) {
    void worker.terminate();
    return;
  }
  if (idle.size >= IDLE_KEPT) {
    const [oldest] = idle.keys();
    void takeIdle(oldest!)?.terminate();
  }
  worker.unref(); // an idle thread never keeps the process alive
  const entry: Idle = {
    worker,
    timer: setTimeout(() => void takeIdle(heapMb)?.terminate(), IDLE_MS).unref(),
    // Should it end while idle (it does not on its own), it is no longer offered.
    onExit: () => {
      if (idle.get(heapMb) === entry) {
        clearTimeout(entry.timer);
        idle.delete(heapMb);
      }
    },
  };
  worker.once('exit', entry.onExit);
  idle.set(heapMb, entry);
}

/** Runs `fn(file)` of `module` on a thread with `limits`; never throws for what the file makes the reader do. */
export function readInThread<T>(module: URL, fn: string, file: string, limits: ThreadLimits): Promise<ThreadOutcome<T>> {
  return running(
    () =>
      new Promise<ThreadOutcome<T>>((resolve, reject) => {
        const worker = takeIdle(limits.heapMb) ?? startThread(limits.heapMb);
        let ended: ThreadOutcome<T> | null = null;
        const done = () => {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
        };
        const timer = setTimeout(() => {
          ended = { ok: false, limit: 'time' };
          void worker.terminate();
        }, limits.timeoutMs);
        const onMessage = (bytes: unknown) => {
          if (ended) return;
          done();
          // What comes from the thread is checked as anything from outside: never thrown from this listener, where it
          // would end the process. The thread keeps to the size; a thread that did not (none does) is not believed.
          let m: ThreadOutcome<T>;
          try {
            // Stryker disable next-line ConditionalExpression,EqualityOperator: the thread never sends more than it was allowed
            if (!(bytes instanceof Uint8Array) || bytes.byteLength > limits.maxResultBytes) throw new Error('not a result within its size');
            m = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as ThreadOutcome<T>;
            if (typeof m !== 'object' || m === null || typeof m.ok !== 'boolean') throw new Error('not a result');
          } catch (err) {
            void worker.terminate();
            reject(new Error(`the workbook reading thread answered what is not a result (${(err as Error).message})`));
            return;
          }
          if (m.ok || 'error' in m) keepIdle(limits.heapMb, worker);
          else void worker.terminate();
          resolve(m);
        };
        const onError = (err: Error & { code?: string }) => {
          // Stryker disable next-line all: any other error of the thread itself (its module not found, say) is a fault, raised below
          ended ??= err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? { ok: false, limit: 'memory' } : null;
          if (!ended) {
            done();
            reject(err);
          }
        };
        const onExit = (code: number) => {
          done();
          if (!ended) {
            // Stryker disable next-line all: a thread that ends without a word or an error, which Node does not do
            reject(new Error(`the workbook reading thread stopped without an answer (exit code ${code})`));
            return;
          }
          resolve(ended);
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.on('exit', onExit);
        worker.postMessage({ module: module.href, fn, file, maxResultBytes: limits.maxResultBytes });
      }),
  );
}
