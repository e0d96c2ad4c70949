import type { Queryable } from './pool.js';

/** `corrections-web`: one person's columns (10)–(13) entered in the portal's form. */
export type ImportKind = 'participants' | 'corrections' | 'targets' | 'corrections-web';

export interface ImportCounts {
  rowsRead: number;
  inserted?: number;
  updated?: number;
  unchanged?: number;
  rejected: number;
}

/** One row of `import_run` per imported file: started now, finished by finishImportRun with its counts. */
export async function startImportRun(q: Queryable, kind: ImportKind, fileName: string, now: Date): Promise<number> {
  const res = await q.query<{ id: number }>(
    'INSERT INTO import_run (kind, file_name, started_at) VALUES ($1::text, $2::text, $3::timestamptz) RETURNING id',
    [kind, fileName, now],
  );
  return Number(res.rows[0]!.id);
}

export async function finishImportRun(q: Queryable, id: number, now: Date, c: ImportCounts): Promise<void> {
  await q.query(
    `UPDATE import_run SET finished_at = $2::timestamptz, rows_read = $3::int, inserted = $4::int, updated = $5::int,
       unchanged = $6::int, rejected = $7::int WHERE id = $1::bigint`,
    [id, now, c.rowsRead, c.inserted ?? 0, c.updated ?? 0, c.unchanged ?? 0, c.rejected],
  );
}

/**
 * Takes back the row of an import that failed before it wrote anything (a participants file refused once read: cut
 * short, changed while it was read). Left unfinished, it stood for an import at work for a day: every Mẫu 03 cut-off
 * after its start kept out of the portal's figures cache (figures-cache.ts), the dashboard working its figures out
 * again on every visit after a night whose file was refused.
 */
export async function dropImportRun(q: Queryable, id: number): Promise<void> {
  await q.query('DELETE FROM import_run WHERE id = $1::bigint AND finished_at IS NULL', [id]);
}

/**
 * When the first import of this kind started, or null before any. The first made, by id: the primary key's index
 * finds it among the first rows, where a min(started_at) would read every import, the portal's one-person ones too.
 */
export async function firstImportAt(q: Queryable, kind: ImportKind): Promise<Date | null> {
  // Completed only: a first try that failed, or was stopped, is no load of the campaign's data.
  const res = await q.query<{ started_at: Date }>(
    'SELECT started_at FROM import_run WHERE kind = $1::text AND finished_at IS NOT NULL ORDER BY id LIMIT 1',
    [kind],
  );
  return res.rows[0]?.started_at ?? null;
}

/** The advisory lock under which participants are imported one file at a time (pipeline/import-participants.ts). */
export const IMPORT_LOCK = 2207_0017;

/**
 * Whether an import of participants is at work on the database now (its lock is held by some session). A bigint
 * advisory key shows in pg_locks as its high and low 32 bits, objsubid 1.
 */
export async function importAtWork(db: Queryable): Promise<boolean> {
  const r = await db.query<{ held: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
                      AND classid = ($1::bigint >> 32)::oid AND objid = ($1::bigint & 4294967295)::oid
                      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS held`,
    [IMPORT_LOCK],
  );
  return r.rows[0]!.held;
}
