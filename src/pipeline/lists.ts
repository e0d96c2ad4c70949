import { availableParallelism } from 'node:os';
import { lstat, readdir, realpath, unlink } from 'node:fs/promises';
import path from 'node:path';
import { forEachEscalationPage, forEachListPage, unitRecords, type ListDbRow, type ListScope, type UnitRecord } from '../db/lists.js';
import type { Queryable } from '../db/pool.js';
import { openBatchFor, type OpenBatch } from '../db/results.js';
import type { FormKind, ListFileSpec, UnitInfo } from '../reports/list-row.js';
import { issuingDistrict } from '../reports/office.js';
import { FILE_NAMES, FolderClaims, pathSegment, provinceDir, provinceLabel, unitDir, unitLabel } from '../reports/list-paths.js';
import { failureReason, InlineSink, type FileFailed, type ListSink } from '../reports/list-sink.js';
import { WorkerSink } from '../reports/worker-sink.js';
import type { Deps } from './deps.js';
import { cannotWrite } from '../errors.js';
import { makeFolders, PRIVATE_FOLDER_MODE } from '../make-folders.js';

export interface ListsOptions {
  out: string;
  province: string | null;
  unit: string | null;
  /** ma_huyen within `province` (the portal's district users); the command line has no such filter. */
  district?: string | null;
  /** Worker threads; 0 writes in this thread. Default: one per core when there are many units. */
  workers?: number;
  /** Rows read from the database at a time (PAGE_ROWS); tests make it small to cross pages. */
  pageRows?: number;
}

export interface ListsResult {
  units: number;
  rows: number;
  files: Record<FormKind, number>;
  removed: number; // list files of an earlier run that no longer have rows
  workers: number;
  /** Files that could not be written, with why; every other file was. */
  failed: FileFailed[];
  /** When nobody in scope is on a list: the people in scope not verified yet (PENDING), who are on none. */
  pending?: number;
  /** Outdated list files (of an earlier run, no longer with rows) that could not be removed, with why. */
  notRemoved: Array<{ path: string; reason: string }>;
  /**
   * A batch not done at the moment the lists are of (their snapshot), whose outcomes are then partly on them: looked
   * at once this run's turn has come, in the lists' own snapshot (before, a run that waited for another lists into
   * the same folder said what was open when it started waiting).
   */
  open: OpenBatch | null;
}

const PAGE_ROWS = 5_000;
/** Rows handed to a writer at once; a unit with more streams through in pieces of this size. */
const SEND_ROWS = 1_000;
/** Below this many units, starting threads costs more than it saves. */
const WORKERS_FROM_UNITS = 64;

interface OpenGroup {
  key: string;
  spec: ListFileSpec;
  /** Whose folder the file's is (FolderClaims): the unit's, or for the escalation list the province's. */
  owner: string;
  id: number | null; // null until the first rows are sent
  buffer: unknown[];
  failed: boolean; // its folder could not be made or belongs to another unit: its rows are dropped
}

/**
 * `ddcn lists`: Mẫu 01 and Mẫu 02 for every managing unit (Plan I.5, II.3), only where the form has rows, and the
 * escalation list per province (II.6.2). One read-only snapshot, read through a cursor; files are written by
 * worker threads when there are many units.
 */
export async function generateLists(deps: Deps, opts: ListsOptions): Promise<ListsResult> {
  if (opts.pageRows !== undefined && !(Number.isSafeInteger(opts.pageRows) && opts.pageRows > 0)) {
    throw new Error(`pageRows must be a positive whole number, got ${opts.pageRows}`);
  }
  const log = deps.log.child({ stage: 'lists' });
  const out = path.resolve(opts.out);
  const scope: ListScope = { province: opts.province, unit: opts.unit, district: opts.district ?? null };
  const issuedAt = deps.now().toISOString();
  await makeFolders(out, PRIVATE_FOLDER_MODE).catch((err: unknown) => {
    throw cannotWrite(out, err);
  });

  return deps.db.withSession(async (session) => {
    const unlock = await inTurn(session, log, out);
    // Every file of one run shows the same moment, however long the run takes.
    try {
      return await session.withTransaction(async (tx) => {
        const open = await openBatchFor(tx, scope.province, scope.unit);
        const units = await unitRecords(tx, scope);
        const workers = opts.workers ?? (units.size >= WORKERS_FROM_UNITS ? Math.min(availableParallelism(), 4) : 0);
        const sink: ListSink = workers > 0 ? new WorkerSink(workers) : new InlineSink();
        const result: ListsResult = { units: 0, rows: 0, files: { mau01: 0, mau02: 0, 'ho-tro': 0 }, removed: 0, workers, failed: [], notRemoved: [], open };
        const failed: FileFailed[] = [];
        try {
          if (deps.progress) deps.progress.start('lists', await countInScope(tx, scope, ON_A_LIST));
          let group: OpenGroup | null = null;
          let lastUnit = '';
          // Directories made this run: a unit's Mẫu 01 and Mẫu 02 share one. Each is given to one unit (or, for
          // the escalation list, one province) only: a second owner is refused rather than let overwrite the first.
          const made = new Set<string>();
          const claims = new FolderClaims();
          /** False (and the file reported as failed) when the spec's folder is not its unit's to write in. */
          const prepare = async (spec: ListFileSpec, owner: string): Promise<boolean> => {
            const dir = path.dirname(spec.path);
            const holder = claims.claim(dir, owner);
            if (holder !== null) {
              failed.push({ spec, reason: `its folder ${path.relative(out, dir)} is already that of ${holder}` });
              return false;
            }
            if (made.has(dir)) return true;
            try {
              await makeFolders(dir, PRIVATE_FOLDER_MODE);
            } catch (err) {
              failed.push({ spec, reason: failureReason(err) });
              return false;
            }
            made.add(dir);
            return true;
          };
          const send = async (g: OpenGroup, ended: boolean) => {
            if (g.failed) {
              g.buffer = [];
              return;
            }
            if (g.id === null) {
              if (!(await prepare(g.spec, g.owner))) {
                g.failed = true;
                g.buffer = [];
                return;
              }
              g.id = await sink.begin(g.spec, g.buffer, ended);
            } else {
              await sink.rows(g.id, g.buffer, ended);
            }
            g.buffer = [];
          };
          /**
           * Adds a row to the file of `key`, the rows coming ordered by file: at a new key the open file is ended and
           * `open` makes the next. Rows go to the writer SEND_ROWS at a time.
           */
          const addRow = async (g: OpenGroup | null, key: string, open: () => OpenGroup, r: unknown): Promise<OpenGroup> => {
            let to = g;
            if (to?.key !== key) {
              if (to) await send(to, true);
              to = open();
            }
            to.buffer.push(r);
            if (to.buffer.length >= SEND_ROWS) await send(to, false);
            return to;
          };
          const dispatch = async (page: ListDbRow[]) => {
            for (const r of page) {
              const key = `${r.maTinh ?? ''}\u0000${r.maDonVi ?? ''}\u0000${r.form}`;
              group = await addRow(group, key, () => {
                const unitKey = `${r.maTinh ?? ''}\u0000${r.maDonVi ?? ''}`;
                if (unitKey !== lastUnit) result.units += 1;
                lastUnit = unitKey;
                result.files[r.form] += 1;
                return { key, spec: specFor(out, r.form, r, units, issuedAt), owner: unitLabel(r.maTinh, r.maDonVi), id: null, buffer: [], failed: false };
              }, r);
            }
            result.rows += page.length;
            deps.progress?.tick(result.rows);
          };
          // A page goes out to the writers while the database reads the next one; at most one page waits.
          let dispatching: Promise<void> = Promise.resolve();
          await forEachListPage(tx, scope, opts.pageRows ?? PAGE_ROWS, async (page) => {
            await dispatching;
            dispatching = dispatch(page);
            dispatching.catch(() => undefined); // rethrown where it is awaited: before the next page, or after the last
          });
          await dispatching;
          if (group) await send(group, true);

          // The escalation list is per province: a run for one unit leaves it alone. Read and sent as a unit's lists
          // are (pages, pieces of SEND_ROWS): a province's list is never held whole.
          if (scope.unit === null) {
            let list: OpenGroup | null = null;
            await forEachEscalationPage(tx, scope, opts.pageRows ?? PAGE_ROWS, async (page) => {
              for (const r of page) {
                const key = r.maTinh ?? '';
                list = await addRow(list, key, () => {
                  result.files['ho-tro'] += 1;
                  const spec: ListFileSpec = {
                    path: path.join(provinceDir(out, r.maTinh), FILE_NAMES['ho-tro']),
                    form: 'ho-tro',
                    unit: { maTinh: r.maTinh, maHuyen: null, maDonVi: null, tenDonVi: '', diaChi: '' },
                    issuedAt,
                  };
                  return { key, spec, owner: provinceLabel(r.maTinh), id: null, buffer: [], failed: false };
                }, r);
              }
            });
            if (list) await send(list, true);
          }
          const { done, failed: notWritten } = await sink.finish();
          result.failed = [...failed, ...notWritten];
          for (const f of result.failed) {
            result.files[f.spec.form] -= 1;
            log.warn({ form: f.spec.form, maTinh: f.spec.unit.maTinh, maDonVi: f.spec.unit.maDonVi, reason: f.reason }, 'list file not written');
          }
          deps.progress?.end();
          // The earlier version of a file that could not be written now goes too: out of date, it must not be
          // taken for this run's (its failure is said either way).
          ({ removed: result.removed, notRemoved: result.notRemoved } = await removeStale(out, scope, new Set(done.map((d) => d.path))));
        } finally {
          await sink.close();
        }
        // Nobody on a list: the people in scope all wait for verification (every other outcome is on one), which
        // the summary says rather than a bare "0 files". Counted only then: the scope may be the whole country.
        if (result.rows === 0) result.pending = await countInScope(tx, scope, ['PENDING']);
        log.info({ ...result.files, units: result.units, rows: result.rows, removed: result.removed, workers, failed: result.failed.length }, 'lists written');
        return result;
      }, { snapshot: true });
    } finally {
      // The pool keeps a session that ended well: its lock must not stay with it. (One that failed is closed.)
      await unlock().catch(() => undefined);
    }
  });
}

/** Advisory locks of two keys (class, object); this class is `ddcn lists`' folders. */
export const LISTS_FOLDER_LOCK_CLASS = 2207_0020;

/**
 * One `ddcn lists` at a time writes into a folder. Two at once each wrote their snapshot and then removed as
 * outdated every list file it had not written itself: the one that ended last put back its older lists and removed
 * the other's newer ones (a person matched in between still on Mẫu 01 while their Mẫu 02 was gone). The later run
 * waits, saying so, and takes its snapshot once the earlier one is done. The lock is the session's (a process that
 * dies lets it go), keyed on the folder as the file system resolves it, so that two spellings of one folder meet.
 */
async function inTurn(session: Queryable, log: Deps['log'], out: string): Promise<() => Promise<unknown>> {
  const folder = await realpath(out).catch(() => out);
  const key = [LISTS_FOLDER_LOCK_CLASS, folder];
  const free = (await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, hashtext($2::text)) AS ok', key)).rows[0]!.ok;
  if (!free) {
    log.warn('another ddcn lists is writing into the same folder: this one waits for it to end, then writes the lists as of then');
    await session.query('SELECT pg_advisory_lock($1::int, hashtext($2::text))', key);
  }
  return () => session.query('SELECT pg_advisory_unlock($1::int, hashtext($2::text))', key);
}

function specFor(out: string, form: 'mau01' | 'mau02', r: ListDbRow, units: Map<string, UnitRecord>, issuedAt: string): ListFileSpec {
  const known = r.maDonVi === null ? undefined : units.get(r.maDonVi);
  const unit: UnitInfo = {
    maTinh: r.maTinh,
    maHuyen: issuingDistrict(r.maTinh, known),
    maDonVi: r.maDonVi,
    tenDonVi: known?.tenDonVi ?? '',
    diaChi: known?.diaChi ?? '',
  };
  return { path: path.join(unitDir(out, r.maTinh, r.maDonVi), FILE_NAMES[form]), form, unit, issuedAt };
}

const ON_A_LIST = ['MATCHED', 'MISMATCHED', 'MISSING_ID', 'CONFLICT'];

async function countInScope(tx: Queryable, scope: ListScope, statuses: string[]): Promise<number> {
  const res = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM participant
      WHERE status = ANY($4::text[])
        AND ($1::text IS NULL OR ma_tinh = $1::text) AND ($2::text IS NULL OR ma_don_vi = $2::text)
        AND ($3::text IS NULL OR ma_huyen = $3::text)`,
    [scope.province, scope.unit, scope.district ?? null, statuses],
  );
  return res.rows[0]!.n;
}

async function dirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

/** Only a plain file is ours to remove: whatever else sits under one of our names is left alone. */
async function isFile(file: string): Promise<boolean> {
  return lstat(file).then((s) => s.isFile(), () => false);
}

/**
 * List files of an earlier run in the same scope that this run did not write again: their unit has no rows on
 * that form any more, and an outdated list must not be sent. Only our own file names are touched.
 */
async function removeStale(out: string, scope: ListScope, keep: Set<string>): Promise<{ removed: number; notRemoved: ListsResult['notRemoved'] }> {
  let removed = 0;
  const notRemoved: ListsResult['notRemoved'] = [];
  // One that cannot be removed (a folder made read-only) is said and the others still are: never a crash that
  // hides which files were written.
  const drop = async (file: string) => {
    if (!keep.has(file) && (await isFile(file))) {
      try {
        // unlink, not rm: rm takes a file it may not remove for a folder and says ENOTDIR.
        await unlink(file);
        removed += 1;
      } catch (err) {
        notRemoved.push({ path: file, reason: failureReason(err) });
      }
    }
  };
  const provinces = scope.province !== null ? [pathSegment(scope.province, '')] : await dirs(out);
  for (const p of provinces) {
    const pDir = path.join(out, p);
    if (scope.unit === null) {
      await drop(path.join(pDir, FILE_NAMES['ho-tro']));
      await dropLeftovers(pDir, [FILE_NAMES['ho-tro']], notRemoved);
    }
    const unitDirs = scope.unit !== null ? [pathSegment(scope.unit, '')] : await dirs(pDir);
    for (const u of unitDirs) {
      await drop(path.join(pDir, u, FILE_NAMES.mau01));
      await drop(path.join(pDir, u, FILE_NAMES.mau02));
      await dropLeftovers(path.join(pDir, u), [FILE_NAMES.mau01, FILE_NAMES.mau02], notRemoved);
    }
  }
  return { removed, notRemoved };
}

/** A list's temporary file (ListFileWriter): `<name>.<pid>-<thread>.tmp`. */
const TEMPORARY = /^(.+)\.(\d+)-\d+\.tmp$/;

/** Whether process `pid` of this machine is still running (then its temporary files are its own). */
function running(pid: number): boolean {
  if (pid === process.pid) return false; // this run's own are all renamed or removed by now
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The temporary files of `names` in `dir` left by a run that was killed (SIGKILL, a reboot) between writing a list
 * and renaming it into place: a list of an older day, names and ID numbers, which the office would send on with the
 * folder. Runs into one folder take turns (inTurn), so a process still running is another database's: left alone.
 */
async function dropLeftovers(dir: string, names: string[], notRemoved: ListsResult['notRemoved']): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = TEMPORARY.exec(entry);
    if (!m || !names.includes(m[1]!) || running(Number(m[2]))) continue;
    const file = path.join(dir, entry);
    if (!(await isFile(file))) continue;
    await unlink(file).catch((err: unknown) => notRemoved.push({ path: file, reason: failureReason(err) }));
  }
}
