// A PostgreSQL error quotes the data it failed on: `where` holds a COPY's line (`COPY verification, line 3, column
// detail: "{…a name…}"`) or the JSON text read so far, `detail` a failing row or a key, and a data exception's message
// the value it could not read. None of it may reach a log line or the job engine's table (pgboss.job.output), where a
// chunk step's failure is kept: a registry answer disclosing a name with a NUL in it put that name, with the ID number
// beside it, into both.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { JobQueue, type ChunkJob } from '../../src/db/jobs.js';
import type { Db } from '../../src/db/pool.js';
import { withoutData } from '../../src/log.js';
import { capturedLog } from '../helpers/log.js';
import { databasePerFile, rows } from '../helpers/pipeline.js';

const database = databasePerFile();

const NAME = 'Canary Zqxw Một';
const NUMBER = '079031999801';
const DOB = '1931-02-30';

/** Errors as the server gives them: a jsonb text with a NUL escape (a registry's disclosed name), and a date it cannot read. */
async function errorsFrom(db: Db): Promise<Error[]> {
  const viaCast = await db
    .query(`SELECT $1::jsonb`, [JSON.stringify({ registry: { hoTen: `${NAME}\u0000 ${NUMBER}` } })])
    .then(
      () => new Error('no error'),
      (err: Error) => err,
    );
  const badDate = await db.query(`SELECT $1::date`, [DOB]).then(
    () => new Error('no error'),
    (err: Error) => err,
  );
  return [viaCast, badDate];
}

describe('PostgreSQL errors, logged or stored, without the data they quote', () => {
  it('the server does quote the data (else this test proves nothing)', async () => {
    const [json, date] = await errorsFrom(database().db);
    expect(JSON.stringify({ ...json, message: json!.message })).toContain('Canary Zqxw');
    expect(date!.message).toContain(DOB);
  });

  it('logs a database error, and one it caused, with its code and without the values', async () => {
    const [json, date] = await errorsFrom(database().db);
    const { text, lines, log } = capturedLog('debug');
    log.error({ err: json }, 'chunk failed');
    log.warn({ err: new Error('verify failed', { cause: date }) }, 'wrapped');
    log.error({ err: date }, 'date');
    const all = text.join('');
    expect(all).not.toContain('Canary Zqxw');
    expect(all).not.toContain(NUMBER);
    expect(all).not.toContain(DOB);
    // Still an error an operator can search for: its kind, code and the words of its message.
    expect(lines[0]!.err).toMatchObject({
      type: 'DatabaseError',
      code: '22P05',
      message: 'unsupported Unicode escape sequence',
    });
    expect(lines[2]!.err).toMatchObject({ code: '22008' });
    expect(String((lines[2]!.err as { message: string }).message)).toMatch(/^date\/time field value out of range/);
    // The errors themselves are untouched: code that reads their fields still finds them.
    expect(JSON.stringify({ ...json })).toContain('Canary Zqxw');
    expect(withoutData(json)).toBeInstanceOf(Object.getPrototypeOf(json!).constructor as typeof Error);
  });

  it('stores a failed chunk step in the job engine without the values of the error it threw', async () => {
    const { db } = database();
    const [json] = await errorsFrom(db);
    const queue = await JobQueue.open(db, { takeoverSeconds: 120, pollSeconds: 0.5 }, () => undefined);
    await db.withTransaction((tx) =>
      queue.enqueue(tx, [{ batchId: 1, step: 'verify', chunkNo: 0 } satisfies ChunkJob], 'mock'),
    );
    let ran = 0;
    await queue.work(1, async () => {
      ran += 1;
      throw json;
    });
    const failed = async () => rows<{ output: unknown }>(db, `SELECT output FROM pgboss.job WHERE output IS NOT NULL`);
    for (let i = 0; i < 300 && (await failed()).length === 0; i += 1) await sleep(20);
    await queue.stop(5_000);
    expect(ran).toBeGreaterThan(0);
    const stored = JSON.stringify(await failed());
    expect(stored).toContain('22P05');
    expect(stored).not.toContain('Canary Zqxw');
    expect(stored).not.toContain(NUMBER);
  });
});
