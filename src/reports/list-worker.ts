// Body of a list-writing worker thread: files are begun, filled and ended by messages from the main thread,
// which owns the database. Every rows message is acknowledged, so the main thread can hold back when a
// worker falls behind.
import { parentPort } from 'node:worker_threads';
import { ListFileWriter } from './list-file.js';
import type { ListFileSpec } from './list-row.js';

export type ToWorker =
  | { kind: 'begin'; id: number; spec: ListFileSpec }
  | { kind: 'rows'; id: number; rows: unknown[] }
  | { kind: 'end'; id: number };

export type FromWorker =
  | { kind: 'ack'; id: number; rows: number }
  | { kind: 'done'; id: number; path: string; rows: number }
  | { kind: 'failed'; id: number; message: string };

const port = parentPort;
if (!port) throw new Error('list-worker.ts runs only as a worker thread');

const open = new Map<number, ListFileWriter>();
const post = (m: FromWorker) => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  try {
    if (m.kind === 'begin') {
      open.set(m.id, ListFileWriter.open(m.spec));
    } else if (m.kind === 'rows') {
      open.get(m.id)?.add(m.rows);
      post({ kind: 'ack', id: m.id, rows: m.rows.length });
    } else {
      const w = open.get(m.id);
      open.delete(m.id);
      if (!w) return;
      w.close().then(
        (rows) => post({ kind: 'done', id: m.id, path: w.path, rows }),
        (err: unknown) => post({ kind: 'failed', id: m.id, message: (err as Error).message ?? String(err) }),
      );
    }
  } catch (err) {
    const w = open.get(m.id);
    open.delete(m.id);
    void w?.abort();
    post({ kind: 'failed', id: m.id, message: (err as Error).message ?? String(err) });
  }
});
