import { hash } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { copyLine } from '../db/copy-text.js';
import type { Session } from '../db/pool.js';
import { markKeysAndFindUnchanged, upsertStagedParticipants } from '../db/participants.js';
import { normalizeParticipantRow, PARTICIPANT_COLUMNS, type ParticipantColumn } from './participant-row.js';
import type { TableRow } from './read-table.js';

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

/**
 * Loads rows a chunk at a time, in two steps: first only each row's key and source hash go to the server, which
 * marks second rows for a key (rejected, naming the first) and answers which rows are unchanged since the last
 * import; then only the other rows are normalised, copied and upserted (one transaction per chunk). While the
 * server works on one chunk, the next is read. The unchanged re-import, the nightly case, thus costs reading the
 * file and one small COPY.
 */
export class ParticipantLoader {
  private rows: KeyedRow[] = [];
  private inFlight: Promise<void> = Promise.resolve();
  readonly totals: ChunkTotals = { inserted: 0, updated: 0, unchanged: 0 };

  constructor(
    private readonly session: Session,
    private readonly now: Date,
    private readonly chunkSize: number,
    /** Salt of every row's hash: the header, so that a reordered file is compared in full. */
    private readonly headerKey: string,
    private readonly reject: (row: TableRow, reason: string) => Promise<void>,
  ) {}

  /** Adds a row; true when the chunk is full and flush() should be awaited. */
  add(r: KeyedRow): boolean {
    this.rows.push(r);
    return this.rows.length >= this.chunkSize;
  }

  async flush(): Promise<void> {
    await this.inFlight; // the session does one thing at a time
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    this.inFlight = this.load(rows);
    this.inFlight.catch(() => undefined); // surfaced by the next flush() or finish()
  }

  async finish(): Promise<ChunkTotals> {
    await this.flush();
    await this.inFlight;
    return this.totals;
  }

  private async load(rows: KeyedRow[]): Promise<void> {
    const from = rows[0]!.row.line;
    const to = rows[rows.length - 1]!.row.line;
    const hashes = rows.map((r) => hash('md5', this.headerKey + (r.row.text ?? r.row.cells.join('\u001f')), 'base64'));
    let keys = '';
    for (let i = 0; i < rows.length; i++) keys += copyLine([rows[i]!.row.line, rows[i]!.key, hashes[i]]);
    const copy = this.session.copyIn('COPY staging_key (line, ma_so_bhxh, src_hash) FROM STDIN');
    copy.end(keys);
    await finished(copy);
    const marks = await markKeysAndFindUnchanged(this.session, from, to);

    let staged = '';
    let count = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const mark = marks.get(r.row.line);
      if (mark === 'unchanged') {
        this.totals.unchanged += 1;
        continue;
      }
      if (mark !== undefined) {
        await this.reject(r.row, `duplicate ma_so_bhxh: already on line ${mark} of this file`);
        continue;
      }
      const res = normalizeParticipantRow(r.raw, this.now);
      if (!res.ok) {
        await this.reject(r.row, res.reason);
        continue;
      }
      const rec = res.record;
      // `0` for sex is decided once the whole file has been read (1/0 file, or ISO 5218 "unknown"): the row waits.
      const sexCode = r.raw.gioi_tinh?.trim() === '0' ? '0' : null;
      const findings = sexCode ? rec.findings.filter((f) => f.field !== 'sex') : rec.findings;
      staged += copyLine([
        r.row.line, rec.maSoBhxh, rec.hoTen, rec.ngaySinh, rec.gioiTinh, rec.soGiayTo, rec.maDonVi, rec.tenDonVi,
        rec.diaChiDonVi, rec.maTinh, rec.maHuyen, rec.vssid, rec.email, JSON.stringify(findings), hashes[i], sexCode,
      ]);
      count += 1;
    }
    if (count === 0) return;
    const copyRows = this.session.copyIn(
      `COPY staging (line, ma_so_bhxh, ho_ten, ngay_sinh, gioi_tinh, so_giay_to, ma_don_vi, ten_don_vi,
        dia_chi_don_vi, ma_tinh, ma_huyen, vssid, email, findings, src_hash, sex_code) FROM STDIN`,
    );
    copyRows.end(staged);
    await finished(copyRows);
    const c = await this.session.withTransaction((tx) => upsertStagedParticipants(tx, { from, to, now: this.now }));
    this.totals.inserted += c.inserted;
    this.totals.updated += c.updated;
    this.totals.unchanged += c.unchanged;
  }
}

export const keyColumns = (header: string[]) => {
  const index = new Map(header.map((h, i) => [h, i]));
  return PARTICIPANT_COLUMNS.map((c) => [c, index.get(c)] as const).filter((e): e is readonly [ParticipantColumn, number] => e[1] !== undefined);
};
