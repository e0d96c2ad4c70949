import { finished } from 'node:stream/promises';
import { copyLine } from '../db/copy-text.js';
import type { Session } from '../db/pool.js';
import { CopyWriter } from '../db/copy-text.js';
import { dropWorkerKeys, fileKeyCopy, fileMarksAfter, type KeptColumn, markFileKeys, upsertStagedParticipants } from '../db/participants.js';
import { UserError } from '../errors.js';
import { keyOf, normalizeParticipantRow, PARTICIPANT_COLUMNS, type ParticipantColumn } from './participant-row.js';
import type { TableRow } from './read-table.js';
import { keyLine, rowHash } from './first-reading.js';

/** A row that passed the checks that can reject it: its key is known, its values are not normalised yet. */
export interface KeyedRow {
  row: TableRow;
  key: string;
  raw: Partial<Record<ParticipantColumn, string>>;
}

export interface ChunkTotals {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** Marks fetched from the server at a time, in the second reading. */
const MARKS_PAGE = 10_000;

/**
 * The chunked path, in two readings of the file. First every accepted row's line, key and source hash go to the
 * server in one COPY, as the file is read; then, once, set-based, the server marks second rows for a key
 * (rejected, naming the first line) and the rows that are new or changed since the last import (markFileKeys).
 * Only when something is marked is the file read again: the marked rows alone are normalised, copied and upserted,
 * a chunk per transaction (an import that dies is resumed by importing again: what was written is then unchanged).
 * The unchanged re-import, the nightly case, thus costs reading the file once and one small COPY, and holds no
 * rows in memory.
 */
export class ParticipantLoader {
  private readonly keys: CopyWriter;
  /** Rows whose key and hash went to the server. */
  private sent = 0;
  /** Of them, those a worker thread read (import-keys.ts). */
  private sentByWorker = 0;
  private dropWorker = false;
  private waiting = 0;
  readonly totals: ChunkTotals = { inserted: 0, updated: 0, unchanged: 0 };

  constructor(
    private readonly session: Session,
    private readonly now: Date,
    private readonly chunkSize: number,
    /** Salt of every row's hash (headerSalt). */
    private readonly headerKey: string,
    private readonly reject: (row: TableRow, reason: string) => Promise<void>,
    private readonly readRaw: (cells: readonly string[]) => KeyedRow['raw'],
    /** Where the file's keys go (createFileKeyTable). */
    readonly keyTable: string,
    /** Fields the file has no column for: people on file keep theirs. */
    private readonly kept: readonly KeptColumn[] = [],
  ) {
    this.keys = new CopyWriter(session.copyIn(fileKeyCopy(keyTable)));
  }

  /** First reading: sends one row's key and hash; resolves at once unless the socket is behind. */
  add(row: TableRow, key: string, sexZero: boolean): Promise<void> | undefined {
    this.sent += 1;
    return this.keys.line(keyLine(row, key, this.headerKey, sexZero, false));
  }

  /** First reading: the key lines (keyLine) of `rows` rows that a worker thread read, as COPY text. */
  addFromWorker(text: Uint8Array, rows: number): Promise<void> | undefined {
    this.sent += rows;
    this.sentByWorker += rows;
    return this.keys.bytes(text);
  }

  /**
   * The worker thread's part started inside a record after all, and this reading went on through it: what the
   * worker sent is taken out again before the marking.
   */
  dropWorkerRows(): void {
    this.dropWorker = true;
  }

  /** Ends the first reading's COPY with a failure, so that the session is usable again. */
  abort(): Promise<void> {
    return this.keys.abort();
  }

  /**
   * After the first reading: marks the file's keys, and when any row is marked, reads the file again (`rows`) to
   * load the marked rows and reject the duplicates. Then the rows held for the file's sex codes can be settled.
   */
  async finish(rows: () => Promise<AsyncIterable<TableRow[]>>, zeroSuffix: string, otherSuffix: string): Promise<ChunkTotals> {
    await this.keys.end();
    if (this.dropWorker && this.sentByWorker > 0) {
      await dropWorkerKeys(this.session, this.keyTable);
      this.sent -= this.sentByWorker;
    }
    const { marked, zeroReread } = await markFileKeys(this.session, this.keyTable, zeroSuffix, otherSuffix);
    this.zeroReread = zeroReread;
    this.totals.unchanged += this.sent - marked;
    if (marked > 0) await this.loadMarked(await rows(), zeroSuffix);
    return this.totals;
  }

  /** Rows read again only because sex code `0` is read otherwise than at the last import (markFileKeys). */
  zeroReread = 0;

  /** Rows held back for the whole file's sex codes, in staging_waiting. */
  get held(): number {
    return this.waiting;
  }

  private async loadMarked(batches: AsyncIterable<TableRow[]>, zeroSuffix: string): Promise<void> {
    let marks = await fileMarksAfter(this.session, 0, MARKS_PAGE);
    let at = 0;
    let staged = '';
    let count = 0;
    // A page of marks is taken as the file is read; a chunk is written when full.
    outer: for await (const batch of batches) {
      for (const row of batch) {
        if (at === marks.length) {
          if (marks.length < MARKS_PAGE) break outer;
          marks = await fileMarksAfter(this.session, marks[marks.length - 1]!.line, MARKS_PAGE);
          at = 0;
          if (marks.length === 0) break outer;
        }
        const mark = marks[at]!;
        if (row.line !== mark.line) continue;
        at += 1;
        const raw = this.readRaw(row.cells);
        const k = keyOf(raw.ma_so_bhxh ?? '');
        if (!('key' in k) || k.key !== mark.key) throw new UserError('the file changed while it was being imported; import it again');
        if (mark.dupOf !== null) {
          await this.reject(row, `duplicate ma_so_bhxh: already on line ${mark.dupOf} of this file`);
          continue;
        }
        const one = stageRow({ row, key: k.key, raw }, rowHash(this.headerKey, row), this.now, zeroSuffix);
        if ('reason' in one) {
          await this.reject(row, one.reason);
          continue;
        }
        staged += one.line;
        count += 1;
        if (count >= this.chunkSize) {
          await this.write(staged, count);
          staged = '';
          count = 0;
        }
      }
    }
    if (at < marks.length) throw new UserError('the file changed while it was being imported; import it again');
    if (count > 0) await this.write(staged, count);
  }

  private async write(staged: string, count: number): Promise<void> {
    const stream = this.session.copyIn(STAGING_COPY);
    stream.end(staged);
    await finished(stream);
    const c = await this.session.withTransaction((tx) => upsertStagedParticipants(tx, { now: this.now, staged: count, kept: this.kept }));
    this.totals.inserted += c.inserted;
    this.totals.updated += c.updated;
    this.totals.unchanged += c.unchanged;
    this.waiting += c.held;
  }
}

export const STAGING_COPY = `COPY staging (line, ma_so_bhxh, ho_ten, ngay_sinh, gioi_tinh, so_giay_to, ma_don_vi, ten_don_vi,
  dia_chi_don_vi, ma_tinh, ma_huyen, vssid, email, findings, src_hash, sex_code) FROM STDIN`;

/**
 * A row normalised into one line of STAGING_COPY, or why it is refused. `zeroSuffix`: the file's reading of sex code
 * `0` (sexZeroSuffix), added to a `0` row's hash when it is known already (the chunked path's second reading; the
 * bulk path adds it at the end, in finishBulkLoad).
 */
export function stageRow(r: KeyedRow, srcHash: string, now: Date, zeroSuffix = ''): { line: string; maTinh: string | null } | { reason: string } {
  // Control characters are looked for only in a row its reader marked (TableRow.control).
  const res = normalizeParticipantRow(r.raw, now, r.row.control === true);
  if (!res.ok) return { reason: res.reason };
  const rec = res.record;
  // `0` for sex is decided once the whole file has been read (1/0 file, or ISO 5218 "unknown"): the row waits. Not a
  // `0` beside a control character (`\v0` trims to `0`): that value is not taken (unfitValues).
  const sexCode = r.raw.gioi_tinh?.trim() === '0' && !(r.row.control && rec.findings.some((f) => f.field === 'sex' && f.code === 'control')) ? '0' : null;
  if (sexCode) srcHash += zeroSuffix;
  const findings = sexCode ? rec.findings.filter((f) => f.field !== 'sex') : rec.findings;
  return {
    line: copyLine([
      r.row.line, rec.maSoBhxh, rec.hoTen, rec.ngaySinh, rec.gioiTinh, rec.soGiayTo, rec.maDonVi, rec.tenDonVi,
      rec.diaChiDonVi, rec.maTinh, rec.maHuyen, rec.vssid, rec.email, findings.length ? JSON.stringify(findings) : '[]', srcHash, sexCode,
    ]),
    maTinh: rec.maTinh,
  };
}

export const keyColumns = (header: string[]) => {
  const index = new Map(header.map((h, i) => [h, i]));
  return PARTICIPANT_COLUMNS.map((c) => [c, index.get(c)] as const).filter((e): e is readonly [ParticipantColumn, number] => e[1] !== undefined);
};
