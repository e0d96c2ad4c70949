// Body of a list-writing worker thread: files are begun, filled and ended by messages from the main thread,
// which owns the database. Every message with rows is answered once — acknowledged, or, when it was the file's
// last, with the file's outcome — so the main thread can hold back when a worker falls behind. Most files fit
// in one message: one message there and one back. A portal download's list comes in pieces the same way and is
// answered with the workbook's bytes instead of being written; its Mẫu 03 comes whole in one message.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { ListFileWriter } from './list-file.js';
import type { ListFileSpec } from './list-row.js';
import { failureReason } from './list-sink.js';
import { mau03Bytes, type ProgressReport } from './mau03.js';

/** `last`: the file ends with these rows. `bytes`: answered with the workbook's bytes, not written (a portal download). */
export type ToWorker =
  | { kind: 'begin'; id: number; spec: ListFileSpec; rows: unknown[]; last: boolean; bytes?: boolean }
  | { kind: 'rows'; id: number; rows: unknown[]; last: boolean }
  | { kind: 'mau03'; id: number; report: ProgressReport }
  /** The file's owner gave up on it: drop it, answer nothing. */
  | { kind: 'abort'; id: number };

/** `sent`: rows of the message answered, which the main thread counts as no longer queued. */
export type FromWorker =
  | { kind: 'ack'; id: number; sent: number }
  | { kind: 'done'; id: number; sent: number; path: string; rows: number }
  | { kind: 'failed'; id: number; sent: number; message: string }
  | { kind: 'bytes'; id: number; sent: number; bytes: Uint8Array };

// A pool may ask for its threads to yield the CPU to the process's other threads (the portal's Mẫu 03 thread
// yields to the one answering pages). On Linux a thread's nice value is its own.
const nice = (workerData as { nice?: number } | null)?.nice;
if (nice) {
  try {
    setPriority(nice);
  } catch {
    // not allowed here: the thread keeps the process's priority
  }
}

const port = parentPort;
if (!port) throw new Error('list-worker.ts runs only as a worker thread');

const open = new Map<number, ListFileWriter>();
/** Open files whose owner wants the bytes back rather than a file on disk. */
const toBytes = new Set<number>();
/** Files that failed before their last message: what still comes for them is only acknowledged. */
const failed = new Set<number>();
const post = (m: FromWorker) => port.postMessage(m);

/**
 * A workbook's bytes to the main thread, moved rather than copied: in a buffer of their own (a small Buffer can be a
 * slice of Node's shared pool, which must not be handed away).
 */
function postBytes(id: number, sent: number, bytes: Buffer): void {
  const own = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes.buffer : new Uint8Array(bytes).buffer;
  port!.postMessage({ kind: 'bytes', id, sent, bytes: new Uint8Array(own) } satisfies FromWorker, [own]);
}

port.on('message', (m: ToWorker) => {
  if (m.kind === 'abort') {
    failed.delete(m.id);
    // A download's workbook is only in memory: no temporary file to remove.
    if (!toBytes.delete(m.id)) void open.get(m.id)?.abort();
    open.delete(m.id);
    return;
  }
  if (m.kind === 'mau03') {
    mau03Bytes(m.report).then(
      (bytes) => postBytes(m.id, 0, bytes),
      (err: unknown) => post({ kind: 'failed', id: m.id, sent: 0, message: failureReason(err) }),
    );
    return;
  }
  const sent = m.rows.length;
  if (failed.has(m.id)) {
    if (m.last) failed.delete(m.id);
    post({ kind: 'ack', id: m.id, sent });
    return;
  }
  const fail = (err: unknown) => post({ kind: 'failed', id: m.id, sent, message: failureReason(err) });
  let w: ListFileWriter | undefined;
  if (m.kind === 'begin' && m.bytes) toBytes.add(m.id);
  try {
    w = m.kind === 'begin' ? ListFileWriter.open(m.spec) : open.get(m.id);
    if (!w) throw new Error(`list file ${m.id} is not open`);
    w.add(m.rows);
  } catch (err) {
    open.delete(m.id);
    // A download that failed is given up by its owner, which sends no more of it; what may still come on its way
    // is answered as not open, and not heard. A file on disk takes the rest of its rows quietly (WorkerSink).
    const download = toBytes.delete(m.id);
    // Only a file this thread knew (begun now, or open): rows for an id it does not know are refused each time.
    if (!m.last && !download && (m.kind === 'begin' || w)) failed.add(m.id);
    if (!download) void w?.abort();
    fail(err);
    return;
  }
  if (!m.last) {
    open.set(m.id, w);
    post({ kind: 'ack', id: m.id, sent });
    return;
  }
  open.delete(m.id);
  if (toBytes.delete(m.id)) {
    let bytes: Buffer;
    try {
      bytes = w.bytes();
    } catch (err) {
      fail(err);
      return;
    }
    postBytes(m.id, sent, bytes);
    return;
  }
  const file = w;
  file.close().then((rows) => post({ kind: 'done', id: m.id, sent, path: file.path, rows }), fail);
});
