import { finished } from 'node:stream/promises';
import {
  addBulkPrimaryKey, beginBulkLoad, type BulkDrops, dropDuplicateRows, finishBulkLoad, loadSegment, participantsEmpty, SEGMENT_COPY,
} from '../db/participants.js';
import type { Session } from '../db/pool.js';
import { KnownProvinceForms } from '../db/province-forms.js';
import { type KeyedRow, stageRow } from './participant-chunks.js';
import { rowHash } from './first-reading.js';
import type { TableRow } from './read-table.js';

/**
 * Rows per segment: one COPY and one insert on the server while the next segment is read and normalised here.
 * At 100 k rows, 50 000 left the last half of the file's insert after the reading (~1.2 s); 20 000, ~0.5 s.
 */
const SEGMENT_ROWS = 20_000;
/** Bytes of COPY text per buffer. */
const BUFFER = 1024 * 1024;

/**
 * The bulk path of an import into an empty participant table, in one transaction that holds participant in
 * ACCESS EXCLUSIVE mode (nobody else can have rows in it, or read it half loaded) with its indexes dropped
 * (beginBulkLoad). Every row is new, so nothing is asked of the server row by row: each is normalised as it is read,
 * a segment of rows at a time, and while this process works on the next segment the server COPYs the last one and
 * inserts its rows (loadSegment; the insert no longer waits for the end of the file, which at 100 k rows took
 * ~1.5-2 s after reading). At the end the primary key is built, or if a key came twice, the later lines are
 * rejected and their rows deleted first; then the sex codes and units are settled and the other indexes built
 * (finishBulkLoad). A crash leaves nothing: the next import starts over.
 */
export class BulkLoader {
  private buffers: Buffer[] = [];
  private buf = Buffer.allocUnsafe(BUFFER);
  private used = 0;
  private rows = 0;
  /** The last segment's COPY and insert, running on the server. */
  private loading: Promise<void> = Promise.resolve();
  private drops: BulkDrops = { indexes: [], foreignKeys: [] };
  /** The ma_tinh values of the segment being read, and the province forms on file as last read (loadSegment). */
  private provinces = new Set<string | null>();
  private readonly knownForms = new KnownProvinceForms();
  inserted = 0;

  private constructor(
    private readonly session: Session,
    private readonly now: Date,
    private readonly headerKey: string,
    private readonly reject: (row: TableRow, reason: string) => Promise<void>,
    private readonly segmentRows: number,
  ) {}

  /** A loader when participant is empty (its transaction begun, the table locked), else null. */
  static async begin(
    session: Session,
    now: Date,
    headerKey: string,
    reject: (row: TableRow, reason: string) => Promise<void>,
    segmentRows = SEGMENT_ROWS,
  ): Promise<BulkLoader | null> {
    if (!(await participantsEmpty(session))) return null;
    await session.query('BEGIN');
    const drops = await beginBulkLoad(session);
    if (!drops) {
      await session.query('ROLLBACK');
      return null;
    }
    const loader = new BulkLoader(session, now, headerKey, reject, segmentRows);
    loader.drops = drops;
    return loader;
  }

  /**
   * Normalises and queues one row. Returns a promise only when there is something to wait for (a reject to write,
   * a segment to hand over): no promise and no await per row otherwise.
   */
  add(r: KeyedRow): Promise<void> | undefined {
    const one = stageRow(r, rowHash(this.headerKey, r.row), this.now);
    if ('reason' in one) return this.reject(r.row, one.reason);
    // A staged line is at most a few thousand characters (the column limits), 3 bytes each in UTF-8 at worst.
    if (one.line.length * 3 > BUFFER - this.used) this.nextBuffer();
    // Lines are encoded into a buffer one by one: measured on 100 k rows, 50 ms against ~150 ms for concatenating
    // them into a string and encoding that (V8 flattens the concatenation first).
    this.used += this.buf.write(one.line, this.used);
    this.provinces.add(one.maTinh);
    this.rows += 1;
    return this.rows >= this.segmentRows ? this.handOver() : undefined;
  }

  /** Loads the last segment, then settles the file: `settleDuplicates` rejects them (they are out of staging). */
  async finish(
    sexZero: { rows: number; fileUsesOneZero: boolean },
    /** `any`: whether the file can have duplicates at all (a key was on two lines). */
    settleDuplicates: (any: boolean) => Promise<number>,
  ): Promise<{ inserted: number; duplicates: number }> {
    await this.handOver();
    await this.loading;
    // The primary key built: no key came twice, and the search for duplicates over the whole file (~0.7-0.9 s at
    // 1 M) is skipped. Otherwise the later lines of each key go (rejected, their rows deleted) and it is built then.
    const unique = await addBulkPrimaryKey(this.session, this.drops);
    const duplicates = await settleDuplicates(!unique);
    if (!unique) {
      this.inserted -= await dropDuplicateRows(this.session);
      // Stryker disable next-line BooleanLiteral,ConditionalExpression: cannot fail: every key has one row left
      if (!(await addBulkPrimaryKey(this.session, this.drops))) throw new Error('the bulk load kept two rows of one key');
    }
    await finishBulkLoad(this.session, this.now, sexZero, this.drops);
    await this.session.query('COMMIT');
    return { inserted: this.inserted, duplicates };
  }

  /** Ends the transaction without a trace; the session can then be used again. */
  async abort(): Promise<void> {
    await this.loading.catch(() => undefined);
    await this.session.query('ROLLBACK');
  }

  private nextBuffer(): void {
    if (this.used > 0) this.buffers.push(this.buf.subarray(0, this.used));
    this.buf = Buffer.allocUnsafe(BUFFER);
    this.used = 0;
  }

  /** Waits for the server to be done with the last segment, then hands it this one (not waiting for it). */
  private async handOver(): Promise<void> {
    this.nextBuffer();
    const buffers = this.buffers;
    const codes = this.provinces;
    this.buffers = [];
    this.provinces = new Set();
    this.rows = 0;
    await this.loading;
    if (buffers.length === 0) return;
    this.loading = (async () => {
      const stream = this.session.copyIn(SEGMENT_COPY);
      for (const b of buffers) stream.write(b);
      stream.end();
      await finished(stream);
      this.inserted += await loadSegment(this.session, this.now, { codes, known: this.knownForms });
    })();
    this.loading.catch(() => undefined); // surfaced by the next handOver or by finish()
  }
}
