import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Db } from '../../src/db/pool.js';

/**
 * The import's yardstick: PostgreSQL's own `COPY … FROM` of the same CSV into a table of text columns, on the
 * same server, streamed from this process (so the bytes cross the same socket as the import's). No validation,
 * no upsert: the floor for reading the file into the database.
 */
export async function rawCopy(db: Db, file: string, columns: readonly string[]): Promise<number> {
  return db.withSession(async (s) => {
    await s.query(`CREATE TEMP TABLE raw_copy (${columns.map((c) => `${c} text`).join(', ')})`);
    await pipeline(createReadStream(file), s.copyIn(`COPY raw_copy FROM STDIN (FORMAT csv, HEADER true)`));
    const n = (await s.query<{ n: number }>('SELECT count(*)::int AS n FROM raw_copy')).rows[0]!.n;
    await s.query('DROP TABLE raw_copy');
    return n;
  });
}
