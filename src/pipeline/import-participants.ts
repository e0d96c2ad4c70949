import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dropImportRun, finishImportRun, IMPORT_LOCK, startImportRun } from '../db/import-runs.js';
import { copyRows } from '../db/copy-rows.js';
import {
  countParticipants,
  createFileKeyTable,
  createStagingTables,
  DUPLICATE_LINES_SQL,
  KEPT_WHEN_ABSENT,
  settleSexZero,
  sexZeroSuffix,
  takeDuplicateLines,
  upsertStagedParticipants,
} from '../db/participants.js';
import type { Queryable } from '../db/pool.js';
import { UserError } from '../errors.js';
import type { Deps } from './deps.js';
import { BulkLoader } from './participant-bulk.js';
import { type ChunkTotals, keyColumns, ParticipantLoader } from './participant-chunks.js';
import { IDENTITY_COLUMNS, keyOf, PARTICIPANT_COLUMNS, rawReader } from './participant-row.js';
import { headerSalt, rowScreen } from './first-reading.js';
import { type KeysWorker, startKeysWorker } from './import-keys.js';
import { openTable, type TableRow } from './read-table.js';
import { cutShortProblem } from './csv-scan.js';
import { firstRowForMessage } from './table-row.js';
import { RejectsFile } from './rejects-file.js';

export interface ImportResult {
  importId: number;
  rowsRead: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  rejectsFile: string;
  unknownColumns: string[];
  /**
   * People on file before the import whom the file did not name (or named only on rejected lines): kept as they were,
   * since an import never removes anyone. Said, so that an export that lost people (cut at a line break, a filter
   * gone wrong) does not pass for a night's file.
   */
  notInFile: number;
  /** Whether the bulk path loaded the file (participant was empty). */
  bulk: boolean;
  /** Threads of the first reading: 2 when a worker thread read the second half of a large CSV (import-keys.ts). */
  readingThreads: 1 | 2;
}

// Rows per COPY and upsert on the chunked path's second reading (only new and changed rows are held, as COPY text).
const UPSERT_CHUNK = 10_000;

export interface ImportOptions {
  /**
   * Rows per chunk (chunked path: COPY and upsert, one transaction) or segment (bulk path: COPY and insert); tests
   * make it small to cross chunk boundaries.
   */
  chunkSize?: number;
  /**
   * false: the chunked path (the file's keys marked once, then only new and changed rows normalised and upserted,
   * a chunk per transaction) even into an empty participant table, which otherwise takes the bulk path (one
   * transaction, rows inserted a segment at a time with the indexes built afterwards; participant-bulk.ts). Both
   * end in the same state (test/integration/import-bulk.test.ts).
   */
  bulk?: false;
  /**
   * A CSV of at least this many bytes has its first reading on two threads on the chunked path (import-keys.ts);
   * tests make it small.
   */
  twoThreadsFrom?: number;
}

/**
 * `ddcn import participants FILE`: stream the file, check each row, and load the good ones chunk by chunk while
 * the next chunk is read. Every data line ends up imported or in the rejects file with its physical line and the
 * reason; only a problem with the file itself (its encoding, its header) fails the import, before anything is
 * written.
 */
export async function importParticipants(
  deps: Deps,
  file: string,
  rejectsFile = `${file}.rejects.csv`,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const chunkSize = options.chunkSize ?? UPSERT_CHUNK;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1)
    throw new Error(`chunkSize must be a positive whole number, got ${chunkSize}`);
  const log = deps.log.child({ stage: 'import' });
  // Before it is opened: a file that grows from here on was read only as far as its writer had got (below).
  const before = await stat(file).catch(() => null);
  const table = await openTable(file);
  if (!table.header.includes('ma_so_bhxh')) {
    await table.close?.();
    throw new UserError(
      `${file}: no "ma_so_bhxh" column. Found: ${firstRowForMessage(table.header, PARTICIPANT_COLUMNS)}. Expected: ${PARTICIPANT_COLUMNS.join(', ')}`,
    );
  }
  // Without one of the fields the registry compares, every person on file would lose it (and a confirmed person
  // their confirmation): the file is refused. An empty value in the column is another matter (a finding).
  const lacking = IDENTITY_COLUMNS.filter((c) => !table.header.includes(c));
  if (lacking.length) {
    await table.close?.();
    throw new UserError(
      `${file}: no ${lacking.map((c) => `"${c}"`).join(', ')} column${lacking.length > 1 ? 's' : ''}; nothing was imported. ` +
        `A participants file needs ${['ma_so_bhxh', ...IDENTITY_COLUMNS].join(', ')} (their values may be empty). ` +
        `Found: ${firstRowForMessage(table.header, PARTICIPANT_COLUMNS)}`,
    );
  }
  const known = new Set<string>(PARTICIPANT_COLUMNS);
  const unknownColumns = table.header.filter((h) => !known.has(h));
  const missingColumns = PARTICIPANT_COLUMNS.filter((c) => !table.header.includes(c));
  // The other fields a file leaves out stay as they are on file; new people get them empty.
  const kept = KEPT_WHEN_ABSENT.filter((c) => !table.header.includes(c));
  if (unknownColumns.length) log.warn({ unknownColumns }, 'columns ignored');
  if (missingColumns.length) log.warn({ missingColumns }, 'columns missing: new people get those fields empty, people on file keep theirs');

  const columns = keyColumns(table.header);
  const readRaw = rawReader(table.header);
  const screen = rowScreen(table.header);

  const now = deps.now();
  // A rejects file that cannot be written is said now, not after waiting for another import's turn.
  await RejectsFile.check(rejectsFile, file).catch(async (err: unknown) => {
    await table.close?.();
    throw err;
  });
  let opened: RejectsFile | undefined;
  // On a failure too, what was rejected until then is written out before the turn passes (the session, and the lock
  // with it, goes once this returns): the next import may write the same file.
  const closeRejects = async () => {
    await opened?.close().catch(() => undefined);
  };
  const result = await deps.db.withSession((session) => inTurn(session, log, closeRejects, async () => {
    // Made once it is this import's turn: an import waiting for another would otherwise empty the rejects file
    // that one is writing (the same FILE.rejects.csv, a night's import still running when the next one starts).
    // With a byte-order mark, as the corrections' rejects: Excel then opens the Vietnamese text as UTF-8.
    const rejects = await RejectsFile.open(rejectsFile, ['line', 'reason', ...table.header], { bom: true, input: file }).catch(async (err: unknown) => {
      await table.close?.();
      throw err;
    });
    opened = rejects;
    const reject = (row: TableRow, reason: string) => rejects.add(row.line, reason, row.cells);
    const importId = await startImportRun(session, 'participants', file, now);
    await createStagingTables(session);
    // Who is on file before this file is read (imports take turns): those it does not name are counted at the end.
    const onFileBefore = await countParticipants(session);
    const headerKey = headerSalt(table.header);
    const bulk =
      options.bulk === false ? null : await BulkLoader.begin(session, now, headerKey, reject, options.chunkSize);
    const loader = bulk ? null : new ParticipantLoader(session, now, chunkSize, headerKey, reject, readRaw, await createFileKeyTable(session), kept);
    let rowsRead = 0;
    let workerRead = 0;
    const sexCodes = { zero: 0, two: 0 };
    deps.progress?.start('import', 0);
    const t0 = performance.now();
    // Stryker disable next-line ArithmeticOperator: the milliseconds of a debug log line, for profiling
    const phase = (what: string) => log.debug({ ms: Math.round(performance.now() - t0) }, what);
    // The chunked path's first reading of a large CSV: the second half on a worker thread (import-keys.ts).
    let worker: KeysWorker | null = null;
    let readingThreads: 1 | 2 = 1;
    try {
      if (loader) {
        worker = await startKeysWorker(
          table,
          headerKey,
          { keys: (text, rows) => loader.addFromWorker(text, rows), read: (n) => (workerRead = n) },
          rejectsFile,
          {
            from: options.twoThreadsFrom,
            failed: (err) => log.warn({ err }, 'the first reading stays on one thread: its second could not be started'),
          },
        );
      }
      for await (const batch of table.batches) {
        for (const row of batch) {
          rowsRead += 1;
          if (rowsRead % 10_000 === 0) deps.progress?.tick(rowsRead + workerRead);
          const s = screen(row);
          if ('reason' in s) {
            await reject(row, s.reason);
            continue;
          }
          if (s.sex === '0') sexCodes.zero += 1;
          // Stryker disable next-line AssignmentOperator: the count is only compared with 0 (a file uses 1/0 when it has no 2): minus one is as far from 0
          if (s.sex === '2') sexCodes.two += 1;
          const wait = bulk ? bulk.add({ row, key: s.key, raw: readRaw(row.cells) }) : loader!.add(row, s.key, s.sex === '0');
          // Stryker disable next-line ConditionalExpression: awaiting undefined only yields once: the same rows in the same order
          if (wait) await wait;
        }
      }
      if (worker) {
        // The worker's part is taken whole, kept or dropped: the same whatever the threads' timing.
        // Stryker disable next-line StringLiteral: a debug timeline label, for profiling
        phase('this thread read');
        const w = await worker.done();
        // Stryker disable next-line StringLiteral: a debug timeline label, for profiling
        phase('the worker read');
        if (table.csv!.stopped) {
          // The worker's part is the rest of the file: its rows, counts and rejects (after this thread's).
          rowsRead += w.read;
          sexCodes.zero += w.zero;
          sexCodes.two += w.two;
          await rejects.append(worker.rejects);
          readingThreads = 2;
        } else {
          // This thread read the worker's part itself (the cut fell inside a record): what the worker sent goes.
          await worker.discard();
          loader!.dropWorkerRows();
        }
        worker = null;
      }
      // A file still being written when the night's import began (the export or its copy not finished) was read up
      // to where its writer had got, its last line cut short: imported so, the rest of the export would be missing
      // without a word and the night would go on as if it had come whole. Said here, before anything is written.
      if (before && changedSince(before, await stat(file).catch(() => null))) {
        throw new UserError(
          `${file} changed while it was being read (still being written or copied?): nothing was imported; ` +
            'import it again once it is complete (a transfer that writes under another name and renames at the end avoids this)',
        );
      }
      // An export or a copy that stopped part-way (a full disk, a transfer cut off) ends in the middle of a line,
      // which alone was rejected while the rest of the export was missing without a word (exit 0).
      const cut = table.csv ? await cutLastLine(file, rejects.last) : null;
      if (cut !== null) {
        throw new UserError(
          `${file} ends in the middle of line ${cut} (cut short: an export or a copy that did not finish?): nothing was imported; ` +
            'import it again once it is complete',
        );
      }
    } catch (err) {
      await worker?.discard();
      await table.close?.(); // the file, when its reading had not begun
      await (bulk ?? loader)!.abort();
      // Nothing of it is on file (the bulk load rolled back; the chunked path writes after this reading): its row goes
      // too, or it would stand for an import at work. A session lost with the database cannot, and needs not say so.
      await dropImportRun(session, importId).catch(() => undefined);
      throw err;
    }
    // Sex written as 0: Nữ only in a file that uses 1/0 throughout; anywhere else unknown, and said so.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: with no 0 in the file, the reading of 0 applies to no row
    const oneZero = sexCodes.zero > 0 && sexCodes.two === 0;
    let counts: ChunkTotals;
    if (bulk) {
      phase('read and normalised');
      const r = await bulk.finish({ rows: sexCodes.zero, fileUsesOneZero: oneZero }, async (any) => {
        phase('loaded');
        // Stryker disable next-line ConditionalExpression: a shortcut: with the primary key built, the search finds no duplicate
        const duplicates = any ? await takeDuplicateLines(session) : 0;
        // Stryker disable next-line ConditionalExpression,EqualityOperator: a shortcut: with no duplicate line the second reading stops at its first row and rejects nobody
        if (duplicates > 0) await rejectDuplicates(session, file, columns, reject);
        phase('duplicates settled');
        return duplicates;
      });
      phase('indexes built');
      counts = { inserted: r.inserted, updated: 0, unchanged: 0 };
    } else {
      // Stryker disable next-line StringLiteral: a debug timeline label, for profiling
      phase('read');
      counts = await loader!.finish(async () => (await openTable(file)).batches, sexZeroSuffix(oneZero), sexZeroSuffix(!oneZero));
      // Stryker disable next-line StringLiteral: a debug timeline label, for profiling
      phase('marked and loaded');
      const waiting = await session.withTransaction(async (tx) => {
        await settleSexZero(tx, oneZero);
        return upsertStagedParticipants(tx, { now, staged: loader!.held, waiting: true });
      });
      counts.inserted += waiting.inserted;
      counts.updated += waiting.updated;
      counts.unchanged += waiting.unchanged;
    }
    deps.progress?.tick(rowsRead);
    deps.progress?.end();

    await finishImportRun(session, importId, deps.now(), { rowsRead, ...counts, rejected: rejects.count });
    await session.query(`DROP TABLE IF EXISTS ${loader ? `${loader.keyTable}, ` : ''}file_mark, staging, staging_waiting; RESET jit`);
    // After a bulk load: statistics now, not at autovacuum's leisure, for the planner of the run that follows; and
    // a vacuum, which sets the loaded rows' hint bits and marks their pages all-visible once, here, instead of the
    // next run's reads each doing it (a 1 M run straight after its import: ~1.5 s faster, about 7 %).
    phase('before vacuum');
    // After a bulk load, INDEX_CLEANUP ON: the few rows it deleted (a key's later lines) would otherwise stay until
    // the next vacuum (below 2 % of the pages VACUUM skips the indexes) and their pages not be marked all-visible.
    // Not after a chunked import: on a large table, updates of a few rows are left to autovacuum as they should.
    // Stryker disable next-line ConditionalExpression,StringLiteral: which vacuum is a matter of speed, except after a bulk load with duplicates (tested)
    const vacuum = bulk ? 'VACUUM (ANALYZE, INDEX_CLEANUP ON) participant, unit' : 'VACUUM (ANALYZE) participant, unit';
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: when to vacuum is a matter of speed: the same rows either way
    if (counts.inserted + counts.updated > 1000) await session.query(vacuum);
    phase('vacuumed');
    const readAs = oneZero ? 'F (file uses 1/0)' : 'unknown (file uses 1/2)';
    if (sexCodes.zero > 0) log.info({ rows: sexCodes.zero, readAs }, 'sex code 0');
    // A file written 1/0 night after night that gains one `2` (or loses its last) changes every `0` of it: said
    // loudly, since those people then change sex or get a finding, and go back to the registry.
    if (loader && loader.zeroReread > 0) {
      log.warn(
        { rows: loader.zeroReread, readAs, before: oneZero ? 'unknown (file used 1/2)' : 'F (file used 1/0)' },
        'sex code 0 is read otherwise than at the last import: those people are updated',
      );
    }
    // Written out before the next import's turn, which may write the same file.
    await rejects.close();
    // Everyone on file the file named on a line that was loaded is updated or unchanged; the rest it did not name.
    const notInFile = Math.max(0, onFileBefore - counts.updated - counts.unchanged);
    return { importId, rowsRead, ...counts, notInFile, bulk: bulk !== null, readingThreads, rejected: rejects.count };
  }));

  const out: ImportResult = { ...result, rejectsFile, unknownColumns };
  log.info(
    {
      importId: out.importId,
      rowsRead: out.rowsRead,
      inserted: out.inserted,
      updated: out.updated,
      unchanged: out.unchanged,
      rejected: out.rejected,
      notInFile: out.notInFile,
      readingThreads: out.readingThreads,
    },
    'import finished',
  );
  return out;
}

/**
 * Runs one import of participants at a time on a database. Two at once each marked the file's lines against what
 * was on file when it began and wrote over the other: the one that ended last reported as unchanged people the
 * other had just rewritten, and the table was a mixture of the two files. The later one now waits, saying so, and
 * then reads the table as the earlier one left it. The lock is the session's: a process that dies lets it go.
 */
async function inTurn<T>(session: Queryable, log: Deps['log'], onFailure: () => Promise<unknown>, fn: () => Promise<T>): Promise<T> {
  const free = (await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [IMPORT_LOCK])).rows[0]!.ok;
  if (!free) {
    log.warn('another import of participants is running on this database: this one waits for it to end');
    await session.query('SELECT pg_advisory_lock($1::bigint)', [IMPORT_LOCK]);
  }
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await onFailure(); // while the turn is still this import's
    throw err;
  }
  // A failure leaves the session to be discarded (withSession), which lets the lock go with it.
  await session.query('SELECT pg_advisory_unlock($1::bigint)', [IMPORT_LOCK]);
  return result;
}

/**
 * The bulk path's duplicates (takeDuplicateLines), rejected with their cells: the file is read a second time, up
 * to the last duplicate, since only the first reading saw the cells. Rare in practice; a file changed in between
 * fails the import, which is still in its transaction, so nothing is written.
 */
async function rejectDuplicates(
  tx: Queryable,
  file: string,
  columns: ReturnType<typeof keyColumns>,
  reject: (row: TableRow, reason: string) => Promise<void>,
): Promise<void> {
  // Stryker disable next-line ConditionalExpression: ma_so_bhxh is always the first of keyColumns
  const keyAt = columns.find(([c]) => c === 'ma_so_bhxh')![1];
  const dups = copyRows(tx, DUPLICATE_LINES_SQL)[Symbol.asyncIterator]();
  let next = await dups.next();
  const table = await openTable(file);
  for await (const batch of table.batches) {
    for (const row of batch) {
      if (next.done) break;
      if (row.line !== Number(next.value[0])) continue;
      const key = keyOf(row.cells[keyAt] ?? '');
      if (!('key' in key) || key.key !== next.value[2]) break;
      await reject(row, `duplicate ma_so_bhxh: already on line ${next.value[1]} of this file`);
      next = await dups.next();
    }
    // Stryker disable next-line ConditionalExpression: reads the rest of the file for nothing once the last duplicate is rejected: the inner loop stops at once
    if (next.done) break;
  }
  if (!next.done) {
    // Stryker disable next-line ConditionalExpression: the session is discarded on this error (withSession), which ends the COPY: checked with 150 000 duplicate lines left unread
    while (!(await dups.next()).done); // the COPY is read to its end, so that the transaction can roll back
    throw new UserError(`${file} changed while it was being imported; import it again`);
  }
}

/**
 * Whether the file at a path is no longer the one `before` describes: grown, cut, rewritten or replaced. Written to,
 * its modification time moves on; one that goes back is a backup putting the file's times back with utime(), to the
 * whole second (Bacula's keepatime, cpio -a), which changed nothing in it.
 */
function changedSince(before: Stats, now: Stats | null): boolean {
  return now === null || now.size !== before.size || now.mtimeMs > before.mtimeMs || now.ino !== before.ino;
}

/**
 * The number of the file's last line when it was cut short: the file does not end in a line break, and that line
 * is rejected for too few fields or an open quote. Null otherwise (a last line without a line break that reads whole
 * is a complete file, and so is one whose last line is only DOS's end-of-file mark). Reads the file through only in that case.
 */
async function cutLastLine(file: string, last: { line: number; reason: string } | null): Promise<number | null> {
  if (last === null || !cutShortProblem(last.reason)) return null;
  const handle = await open(file);
  try {
    const { size } = await handle.stat();
    const end = Buffer.alloc(2);
    const { bytesRead } = await handle.read(end, 0, 2, Math.max(0, size - 2));
    const [penultimate, final] = bytesRead === 2 ? [end[0], end[1]] : [undefined, end[0]];
    if (final === 0x0a || final === 0x0d) return null;
    // A line of only Ctrl-Z is the end-of-file mark of DOS tools (`copy /a`, and `copy a.csv+b.csv` joining two
    // exports), after a whole last line: that line alone is rejected, as it always was, not the file refused as cut.
    if (final === 0x1a && (penultimate === 0x0a || penultimate === 0x0d)) return null;
  } finally {
    await handle.close();
  }
  let breaks = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) breaks += 1;
  }
  return last.line === breaks + 1 ? last.line : null;
}
