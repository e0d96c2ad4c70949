// Body of the worker thread that reads the second half of a large CSV on the import's first reading (see
// import-keys.ts): every row is screened as on the main thread (first-reading.ts); the key lines go back as COPY
// text and the rejects as rows, a part at a time, each part answered by the main thread before more than two are
// in flight, so that memory stays bounded when the database falls behind.
import { open } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { keyLine, rowScreen } from './first-reading.js';
import type { Separator } from './csv-scan.js';
import { csvRowsFrom } from './read-table.js';

export interface KeysWorkerData {
  file: string;
  /** The byte where the part starts, a line start. */
  start: number;
  header: string[];
  /** Fields of the header record. */
  fields: number;
  /** What separates them (CsvScanner). */
  separator: Separator;
  salt: string;
}

export type FromKeysWorker =
  | {
      kind: 'part';
      /** FILE_KEY_COPY lines for `sent` rows. */
      text: Uint8Array;
      sent: number;
      /** Rows read in this part, rejected ones included. */
      read: number;
      rejects: Array<[line: number, reason: string, cells: string[]]>;
    }
  | {
      kind: 'done';
      zero: number;
      two: number;
      /** Every row read is sent or rejected: the main thread checks that the parts it took add up to these. */
      total: { read: number; sent: number; rejected: number };
    };

/**
 * A part is sent at this many bytes of COPY text, rows read, or characters of rejected rows (a hostile file's
 * lines may each hold up to MAX_LINE_CHARS).
 */
const PART_BYTES = 256 * 1024;
const PART_ROWS = 1000;
const PART_REJECT_CHARS = 1024 * 1024;
/** Parts posted and not yet answered before this thread waits. */
const IN_FLIGHT = 2;

const port = parentPort;
if (!port) throw new Error('import-keys-worker.ts runs only as a worker thread');
const data = workerData as KeysWorkerData;

let unanswered = 0;
let wake: (() => void) | null = null;
port.on('message', () => {
  unanswered -= 1;
  wake?.();
  wake = null;
});

/** Physical lines before `start`: the line numbers of the part follow them. */
async function linesBefore(file: string, start: number): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let lines = 0;
    for (let pos = 0; pos < start; ) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, start - pos), pos);
      if (bytesRead === 0) break;
      for (let i = buf.indexOf(10, 0); i >= 0 && i < bytesRead; i = buf.indexOf(10, i + 1)) lines += 1;
      pos += bytesRead;
    }
    return lines;
  } finally {
    await handle.close();
  }
}

const screen = rowScreen(data.header);
/** The part's COPY text, encoded line by line (a string gathered from pieces would outlive the young generation). */
const newText = () => Buffer.allocUnsafeSlow(PART_BYTES + 64 * 1024);
let text = newText();
let used = 0;
let sent = 0;
let read = 0;
let rejects: Array<[number, string, string[]]> = [];
let rejectChars = 0;
let zero = 0;
let two = 0;
let totalRead = 0;
let totalSent = 0;
let totalRejected = 0;

async function post(): Promise<void> {
  while (unanswered >= IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
  // Moved, not copied: a buffer of its own (allocUnsafeSlow, never a slice of Node's shared pool, which must not
  // be moved; Node 21 and later refuse it).
  const own = text;
  unanswered += 1;
  totalRead += read;
  totalSent += sent;
  totalRejected += rejects.length;
  const m: FromKeysWorker = { kind: 'part', text: new Uint8Array(own.buffer, own.byteOffset, used), sent, read, rejects };
  port!.postMessage(m, [own.buffer as ArrayBuffer]);
  text = newText();
  used = 0;
  sent = 0;
  read = 0;
  rejects = [];
  rejectChars = 0;
}

const lines = await linesBefore(data.file, data.start);
for await (const batch of csvRowsFrom(data.file, data.start, { lines, fields: data.fields, separator: data.separator })) {
  for (const row of batch) {
    read += 1;
    const s = screen(row);
    if ('reason' in s) {
      rejects.push([row.line, s.reason, row.cells]);
      for (const c of row.cells) rejectChars += c.length;
      if (rejectChars >= PART_REJECT_CHARS) await post();
    } else {
      if (s.sex === '0') zero += 1;
      if (s.sex === '2') two += 1;
      const line = keyLine(row, s.key, data.salt, s.sex === '0', true);
      // Room for it first (three bytes a UTF-16 unit at most; a key line is ASCII and short).
      if (line.length * 3 > text.length - used) await post();
      used += text.write(line, used);
      sent += 1;
    }
  }
  if (used >= PART_BYTES || read >= PART_ROWS) await post();
}
// What is left: rows read, a key line written after the last part went (the room check), rejects.
if (read > 0 || sent > 0 || rejects.length > 0) await post();
port.postMessage({ kind: 'done', zero, two, total: { read: totalRead, sent: totalSent, rejected: totalRejected } } satisfies FromKeysWorker);
