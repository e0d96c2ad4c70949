// The registry over files (`ddcn run --registry file --outbox DIR --inbox DIR`), as many government exchanges
// run: each verify call writes one request file to the outbox; a later run ingests the answer files the registry
// left in the inbox. Meanwhile the people asked have no answer, so the pipeline keeps them PENDING, and they
// are not sent again while their request is outstanding. Formats: file-exchange-format.ts and the README.
//
// Crash safety: a request file is written as a dot file, its request recorded in the database, and only then
// renamed into place; at the start of the next run a dot file is completed if its request was recorded, else
// removed. An answer is recorded in one transaction and then moved to inbox/done; an answer file found again
// after a crash is recognised by its checksum and only moved.
import { randomBytes } from 'node:crypto';
import { lstat, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Db, Queryable, Session } from '../db/pool.js';
import type { Logger } from '../log.js';
import { sleep } from '../sleep.js';
import { fileErrorWords, UsageError } from '../errors.js';
import {
  ANSWER_COLUMNS, ANSWER_SUFFIX, answerFromRow, ExchangeFileError, formatExchangeFile, isInProgress, parseExchangeFile,
  REQUEST_COLUMNS, REQUEST_PREFIX, requestRow, sha256, SHARE_COLUMNS, SHARE_PREFIX, shareRow,
} from './file-exchange-format.js';
import { abandonedName, ensureDir, FileExistsError, goneMeanwhile, listFiles, moveInto, writeFileAtomic } from './file-exchange-fs.js';
import {
  answersFor, awaitingAnswers, knownFiles, latestItems, markRefused, nextRequestId, outstandingRequestByChecksum, recordAnswers, recordRequest, requestByFile,
  type RequestRecord,
} from './file-exchange-store.js';
import { DEFAULT_MAX_ANSWER_BYTES } from './http-body.js';
import { answersMisfit } from './http-wire.js';
import type { RegistryAdapter, ShareRecord, VerifyAnswer, VerifyRequest } from './types.js';
import { vnTime } from '../domain/vn-time.js';

export interface FileExchangeSettings {
  outbox: string;
  inbox: string;
  /** A request unanswered for this long no longer holds its people back: they are sent again. */
  resendAfterMs: number;
  /**
   * People waiting longer than this for an answer make the run exit 1 (DDCN_REGISTRY_ANSWER_DUE_HOURS): answers
   * take hours, not days, and requests that never reached the registry (a wrong folder, a transfer that stopped)
   * must not leave people waiting for the resend delay behind nights that all exit 0. Absent: DEFAULT_ANSWER_DUE_HOURS.
   */
  answerDueMs?: number;
}

/**
 * A process that verifies looks at the outbox and the inbox before its first verify call, and at the inbox again once
 * this long has passed since its last look (in the background: no verify call waits for it). A worker that runs for
 * days thus applies, in the chunks it verifies, the answers that arrived meanwhile, within about a minute.
 */
export const INBOX_LOOK_EVERY_MS = 60_000;

/**
 * How long a process's first look waits for another process that is taking answer files out of the inbox (as
 * workers starting together do) before it goes on without: the files are then that process's to apply.
 */
export const FIRST_LOOK_WAITS_MS = 10_000;

/**
 * The advisory lock under which one process at a time takes answer files out of the inbox. Workers on several
 * machines share it: two taking the same file at once each applied it, then one failed to move it away (ENOENT),
 * which failed its chunk. Only ever tried (pg_try_advisory_lock), so that nobody waits on a blocked lock query.
 */
export const INBOX_LOCK = 2207_0016;
const LOCK_POLL_MS = 100;

export const DEFAULT_RESEND_AFTER_HOURS = 168;

/** File system failures that leave an answer file in the inbox rather than stop the run (FileExchangeRegistry.cannotMove). */
const MOVE_FAILURES = new Set(['EROFS', 'EACCES', 'EPERM', 'ENOSPC', 'EDQUOT']);

class MoveError extends Error {
  constructor(
    readonly sub: string,
    override readonly cause: unknown,
  ) {
    super(`cannot move into ${sub}/`, { cause });
  }
}

/** An answer file's name as the registry gives it to a request of ours (`ddcn-req-<id>-<6 hex>.answer.csv`), unchanged. */
const OUR_ANSWER_NAME = /^ddcn-req-\d{8,}-[0-9a-f]{6}\.answer\.csv$/;

/**
 * An answer file cut short (no whole trailer line) that changed less than this long ago is left in the inbox for a
 * later look rather than refused: it may still be being copied in place. Past it, it is refused (a transfer that
 * stopped half-way), and its people are asked for again.
 */
export const ANSWER_SETTLE_MS = 10 * 60_000;
export const DEFAULT_ANSWER_DUE_HOURS = 48;

/** Who waits for the registry's answers, as the database has it (whichever process sent their requests). */
export interface Waiting {
  people: number;
  /** Of `people`, those verified before, who keep their last outcome meanwhile (db/verifications.ts KEEPS_LAST_OUTCOME). */
  kept?: number;
  /** The oldest request they wait on (null: nobody waits). */
  oldest: { file: string; createdAt: Date } | null;
  /** Its people have waited longer than answerDueMs. */
  overdue: boolean;
}


/**
 * Who waits at `now` for answers to requests sent within `resendAfterMs` (the later ones are asked again), and whether
 * the oldest has waited past `answerDueMs`: the run's rule (waiting) and `ddcn batch status`'s.
 */
export async function waitingAt(
  db: Queryable,
  o: { now: Date; resendAfterMs: number; answerDueMs: number; province: string | null },
): Promise<Waiting> {
  const { people, kept, oldest } = await awaitingAnswers(db, { since: new Date(o.now.getTime() - o.resendAfterMs), province: o.province });
  return { people, kept, oldest, overdue: oldest !== null && o.now.getTime() - oldest.createdAt.getTime() > o.answerDueMs };
}

/** `1 answer file`, `2 answer files`, `1 person`, `0 people`: the summary read by the operator every night. */
function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What the people awaiting answers are meanwhile: PENDING, or (verified before) their last outcome kept. */
function awaitingState(people: number, kept: number): string {
  if (kept === 0) return 'PENDING';
  if (kept === people) return 'keeping their last outcome (verified before)';
  return `${people - kept} PENDING, ${kept} keeping their last outcome (verified before)`;
}

/** What was sent for a person: an answer applies only while their data is still this. */
export function fingerprint(r: VerifyRequest): string {
  return sha256(JSON.stringify([r.soGiayTo, r.hoTen, r.ngaySinh, r.gioiTinh]));
}

export interface ExchangeStats {
  requestFiles: number;
  requested: number;
  awaiting: number;
  answered: number;
  ingested: number;
  refused: string[];
  /** Answer files left in the inbox because they may still be being copied (ANSWER_SETTLE_MS). */
  leftInInbox: string[];
  /** People asked for again because the answer to their last request was refused. */
  resent: number;
  shareFiles: number;
}

/** `ddcn-share-<time>-<6 hex>.csv` (interface.md). */
export const shareFileName = (now: Date): string => `${SHARE_PREFIX}${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}.csv`;

/** An outbox dot file not recorded is another process's write in progress until it is this old (recoverOutbox). */
export const STALE_PARTIAL_MS = 60 * 60_000;

/**
 * Whether the transaction `xact` committed, asked of the server by its id (a look-up of what it wrote could answer
 * "no" while its commit is still under way): waits while it is in progress; throws when that cannot be told.
 */
async function committed(db: Db, xact: string | null): Promise<boolean> {
  if (xact === null) return false; // failed before it wrote anything
  for (const until = Date.now() + 30_000; Date.now() < until; ) {
    const res = await db.query<{ s: string | null }>('SELECT pg_xact_status($1::xid8) AS s', [xact]);
    const status = res.rows[0]!.s;
    if (status === 'committed') return true;
    if (status === 'aborted') return false;
    if (status === null) break;
    await sleep(100);
  }
  throw new Error('whether the request was recorded cannot be told');
}

/** How long a set-aside dot file is kept: past the resend delay (DEFAULT_RESEND_AFTER_HOURS), nobody can want it. */
export const ABANDONED_KEPT_MS = (DEFAULT_RESEND_AFTER_HOURS + 24) * 3_600_000;

/** Names tried for one share file before giving up (each a one-in-16-million coincidence). */
const SHARE_NAME_TRIES = 5;

/** Writes with `write` under the first of `tries` names from `nameFor` that is free (FileExistsError: the next). */
export async function writeUnderFreeName(tries: number, nameFor: () => string, write: (name: string) => Promise<void>): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const name = nameFor();
    try {
      await write(name);
      return name;
    } catch (err) {
      if (!(err instanceof FileExistsError) || attempt >= tries) throw err;
    }
  }
}

export class FileExchangeRegistry implements RegistryAdapter {
  readonly kind = 'file';
  readonly stats: ExchangeStats = { requestFiles: 0, requested: 0, awaiting: 0, answered: 0, ingested: 0, refused: [], leftInInbox: [], resent: 0, shareFiles: 0 };
  private prepared: Promise<void> | null = null;
  /** When the last look at the inbox ended, by the exchange's clock; null before the first or while it is under way. */
  private lookedAt: number | null = null;
  /** A look at the inbox again, under way in the background (prepare). */
  private lookingAgain: Promise<void> | null = null;
  private readonly log: Logger;

  private constructor(
    readonly settings: FileExchangeSettings,
    private readonly db: Db,
    log: Logger,
    private readonly now: () => Date,
  ) {
    this.log = log.child({ stage: 'registry', registry: 'file' });
  }

  static async open(settings: FileExchangeSettings, db: Db, log: Logger, now: () => Date = () => new Date()): Promise<FileExchangeRegistry> {
    const created = [];
    if (await ensureDir(settings.outbox, 'outbox')) created.push(`the outbox ${settings.outbox}`);
    if (await ensureDir(settings.inbox, 'inbox')) created.push(`the inbox ${settings.inbox}`);
    // The same folder under two paths (a symbolic link, the share mounted twice) passes the settings' check of the
    // paths: each run would then take its own request files in the inbox for answers and refuse them into
    // refused/, before the registry could take them.
    const [out, into] = await Promise.all([stat(settings.outbox), stat(settings.inbox)]);
    if (out.dev === into.dev && out.ino === into.ino) {
      throw new UsageError(`--inbox / DDCN_REGISTRY_INBOX: ${settings.inbox} is the outbox ${settings.outbox} under another path (a link, or the same share mounted twice): they must be different folders`);
    }
    const registry = new FileExchangeRegistry(settings, db, log, now);
    registry.created = created;
    // A folder made now was not there: right on the first night, a mistyped path (or cron's working folder) later.
    if (created.length) log.warn({ created }, 'created the exchange folders that did not exist');
    return registry;
  }

  /** The exchange folders this process made (they did not exist), for the summary. */
  private created: string[] = [];

  /**
   * Who waits for an answer now, from the database: the people still PENDING whose request is outstanding and not
   * yet due for resending, whoever sent it — a resumed batch's too.
   */
  async waiting(province: string | null = null): Promise<Waiting> {
    return waitingAt(this.db, { now: this.now(), resendAfterMs: this.settings.resendAfterMs, answerDueMs: this.answerDueMs, province });
  }

  private get answerDueMs(): number {
    return this.settings.answerDueMs ?? DEFAULT_ANSWER_DUE_HOURS * 3_600_000;
  }

  /** Whether this process looked at the inbox (it verified someone): only then does it know who still waits. */
  get lookedAtInbox(): boolean {
    return this.lookedAt !== null || this.lookingAgain !== null;
  }

  /**
   * The first call (again the next after a request file was left in doubt, see send) waits for a look at the outbox
   * and the inbox: recoverOutbox, then ingestInbox. If it fails (the database away), the next call tries again.
   * Afterwards a call made once INBOX_LOOK_EVERY_MS has passed since the last look starts a look at the inbox in the
   * background and goes on: one that fails is logged and tried again an interval later, so that a healthy worker's
   * verify calls never fail for it.
   */
  private prepare(): Promise<void> {
    if (!this.prepared) {
      const p = (async () => {
        await this.recoverOutbox();
        await this.ingestInbox(FIRST_LOOK_WAITS_MS);
      })();
      this.prepared = p;
      this.lookedAt = null;
      p.then(
        () => {
          if (this.prepared === p) this.lookedAt = this.now().getTime();
        },
        () => {
          if (this.prepared === p) this.prepared = null;
        },
      );
      return p;
    }
    const now = this.now().getTime();
    // A clock set back counts as time passed: the next look comes early rather than late.
    if (this.lookedAt !== null && !this.lookingAgain && (now - this.lookedAt >= INBOX_LOOK_EVERY_MS || now < this.lookedAt)) {
      this.lookingAgain = this.ingestInbox(0)
        .catch((err: unknown) => this.log.warn({ err }, 'could not look at the inbox again; trying again in a minute'))
        .finally(() => {
          this.lookedAt = this.now().getTime();
          this.lookingAgain = null;
        });
    }
    return this.prepared;
  }

  /** Why calls failed in this process (folders that could not be written or read), for the operator's last line. */
  private readonly failures = new Map<string, number>();

  /** What went wrong with the folders in this run, for the operator; null when nothing did. */
  failureSummary(): string | null {
    if (this.failures.size === 0) return null;
    return [...this.failures].map(([why, n]) => (n > 1 ? `${why} (${n} times)` : why)).join('; ');
  }

  /**
   * Notes a folder's failure (what was done to which path, in words, with the error code: file names are request
   * ids, never anyone's data) and rethrows. The database's failures have no `syscall` and are told by the run.
   */
  private noted(err: unknown): never {
    const e = err as NodeJS.ErrnoException & { dest?: string };
    if (e?.syscall && e.code) {
      // One line per folder and error, not per file: a full or read-only outbox fails every request and share file
      // of the run, each under its own name (interface.md: `open OUTBOX/.ddcn-req-….partial: …`).
      // Only our dot files are shortened: an answer file that cannot be read is named whole, for the operator to fix.
      const where = (p: string | undefined) => (p ?? '').replace(/(\/\.ddcn-(?:req|share)-)[^/]*(\.partial)$/, '$1…$2');
      const why = `${e.syscall} ${where(e.path)}${e.dest ? ` → ${where(e.dest)}` : ''}: ${fileErrorWords(e)}`.replace(/ {2,}/g, ' ');
      this.failures.set(why, (this.failures.get(why) ?? 0) + 1);
    }
    throw err;
  }

  async verify(batch: VerifyRequest[]): Promise<VerifyAnswer[]> {
    return this.verifyOrThrow(batch).catch((err: unknown) => this.noted(err));
  }

  private async verifyOrThrow(batch: VerifyRequest[]): Promise<VerifyAnswer[]> {
    await this.prepare();
    // Stryker disable next-line ConditionalExpression: a shortcut: with nobody asked, nothing is sent and the answers are [] all the same
    if (batch.length === 0) return [];
    const prints = new Map(batch.map((req) => [req.requestId, fingerprint(req)]));
    const [latest, answered] = await Promise.all([
      latestItems(this.db, batch.map((r) => r.requestId)),
      answersFor(this.db, batch.map((r) => ({ code: r.requestId, fingerprint: prints.get(r.requestId)! }))),
    ]);
    const stale = this.now().getTime() - this.settings.resendAfterMs;
    const answers: VerifyAnswer[] = [];
    const toSend: VerifyRequest[] = [];
    for (const req of batch) {
      const fp = prints.get(req.requestId)!;
      // Answered for the data they have now, by their latest request or an earlier one answered late.
      const answer = answered.get(req.requestId);
      if (answer) {
        answers.push(answer);
        continue;
      }
      const item = latest.get(req.requestId);
      if (item && item.fingerprint === fp) {
        // Stryker disable next-line ConditionalExpression: reached only for an item without an answer, which is always outstanding: an answered request has an answer for every item
        if (item.state === 'outstanding' && item.createdAt.getTime() > stale) {
          this.stats.awaiting += 1;
          continue;
        }
      }
      // Asked for again because the answer to their last request was refused (ingest).
      if (item?.state === 'refused') this.stats.resent += 1;
      toSend.push(req);
    }
    if (toSend.length) await this.send(toSend, prints);
    this.stats.answered += answers.length;
    return answers;
  }

  private async send(people: VerifyRequest[], prints: Map<string, string>): Promise<void> {
    const id = await nextRequestId(this.db);
    const fileName = `${REQUEST_PREFIX}${String(id).padStart(8, '0')}-${randomBytes(3).toString('hex')}.csv`;
    const { text, checksum } = formatExchangeFile(REQUEST_COLUMNS, people.map(requestRow));
    let xact: string | null = null;
    try {
      await writeFileAtomic(
        this.settings.outbox,
        fileName,
        text,
        () =>
          this.db.withTransaction(async (tx) => {
            xact = (await tx.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0]!.x;
            await recordRequest(tx, { id, fileName, checksum, now: this.now(), items: people.map((p) => ({ code: p.requestId, fingerprint: prints.get(p.requestId)! })) });
          }),
        // A request recorded must have its file in place, or its people wait a week for an answer to nothing.
        { wasCommitted: () => committed(this.db, xact) },
      );
    } catch (err) {
      // A dot file may be left for recovery (the database could not say whether the request was recorded): this
      // process looks at the outbox again on its next call, not only when the next process starts.
      this.prepared = null;
      throw err;
    }
    this.stats.requestFiles += 1;
    this.stats.requested += people.length;
    this.stats.awaiting += people.length;
    this.log.info({ file: fileName, people: people.length }, 'request file written to the outbox');
  }

  /**
   * I.4 over files: the share file is the delivery, so its records count as acknowledged once it is in place. Its
   * name (time and 6 random hex digits, interface.md) is taken only if free: two processes sharing in the same
   * millisecond with the same digits must not replace each other's file, whose records would count as shared.
   */
  async share(records: ShareRecord[]): Promise<string[]> {
    return this.shareOrThrow(records).catch((err: unknown) => this.noted(err));
  }

  private async shareOrThrow(records: ShareRecord[]): Promise<string[]> {
    if (records.length === 0) return [];
    const text = formatExchangeFile(SHARE_COLUMNS, records.map(shareRow)).text;
    const fileName = await writeUnderFreeName(SHARE_NAME_TRIES, () => shareFileName(this.now()), (name) =>
      writeFileAtomic(this.settings.outbox, name, text, undefined, { keepExisting: true }),
    );
    this.stats.shareFiles += 1;
    this.log.info({ file: fileName, people: records.length }, 'share file written to the outbox');
    return records.map((r) => r.requestId);
  }

  /** Waits for a look at the inbox under way in the background (prepare), before the database closes. */
  async close(): Promise<void> {
    await this.lookingAgain;
  }

  /**
   * A dot file in the outbox is a request or share file being written, or one a crash left. Workers on several
   * machines share the outbox, so a young one may be another live process's, between its write and its rename:
   * only one recorded in the database (its request committed: the content is complete) is put in place now; one
   * not recorded is set aside (`.NAME.abandoned`, still skipped by readers) once it is older than any write takes
   * (STALE_PARTIAL_MS), its people sent again — set aside, not removed, so that a writer whose commit did go through
   * (a clock far off) still finds it. Set-aside files are removed after ABANDONED_KEPT_MS. Either kind may have been
   * put in place or moved by its writer or another worker meanwhile: that is no error.
   */
  private async recoverOutbox(): Promise<void> {
    const found = (await listFiles(this.settings.outbox)).flatMap((file) => {
      const m = /^\.(.+)\.(partial|abandoned)$/.exec(file);
      return m ? [{ file, name: m[1]!, setAside: m[2] === 'abandoned' }] : [];
    });
    // Stryker disable next-line ConditionalExpression: a shortcut: with no such file, the look-up of no names finds nothing and the loop does nothing
    if (!found.length) return;
    const recorded = await knownFiles(this.db, found.map((f) => f.name));
    for (const { file, name, setAside } of found) {
      const from = path.join(this.settings.outbox, file);
      if (recorded.has(name)) {
        // Recorded: complete. Set aside although recorded: its writer's commit went through after a worker took it
        // for a crash's.
        if (await goneMeanwhile(rename(from, path.join(this.settings.outbox, name)))) continue;
        const why = setAside ? 'had been set aside but was recorded' : 'a crashed run had recorded but not put in place';
        this.log.warn({ file: name }, `completed a request file that ${why}`);
        continue;
      }
      const since = await goneMeanwhile(stat(from));
      if (since === true) continue;
      // The file's time is the file system's: compared with the wall clock, not the exchange's own clock. A rename
      // keeps it, so set-aside files are aged from when they were written.
      const age = Date.now() - since.mtimeMs;
      if (setAside) {
        // Not recorded and past the resend delay: nobody can want it.
        if (age > ABANDONED_KEPT_MS) await goneMeanwhile(unlink(from));
      } else if (age >= STALE_PARTIAL_MS) {
        if (await goneMeanwhile(rename(from, path.join(this.settings.outbox, abandonedName(name))))) continue;
        this.log.warn({ file: name }, 'set aside a half-written file of a crashed run; its people are sent again');
      }
    }
  }

  /** The inbox's answer files, and whatever else is in it and not being written: refused if no answer. */
  private async inboxFiles(): Promise<string[]> {
    return (await listFiles(this.settings.inbox, { links: true })).filter((name) => !isInProgress(name));
  }

  /**
   * Takes the files out of the inbox, one process at a time (INBOX_LOCK): with the lock held by another process,
   * waits for it up to `waitMs`, then leaves the files to that process. Nothing in the inbox: no lock taken.
   */
  private async ingestInbox(waitMs: number): Promise<void> {
    const present = await this.inboxFiles();
    if (present.length === 0) {
      this.forgetGone(present);
      return;
    }
    await this.db.withSession(async (session) => {
      const lock = async () => (await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [INBOX_LOCK])).rows[0]!.ok;
      for (const until = Date.now() + waitMs; !(await lock()); await sleep(LOCK_POLL_MS)) {
        if (Date.now() >= until) {
          this.log.debug('another process is taking the files out of the inbox: left to it');
          return;
        }
      }
      // A session that fails is discarded by withSession, and the lock with it.
      const names = await this.inboxFiles();
      this.forgetGone(names);
      for (const name of names) {
        try {
          // Left again (still being copied), or taken at last: counted once, and only while it is left. So too a file
          // that could not be read: named only while it cannot (its permissions fixed between two looks of a run).
          this.unreadable.delete(name);
          this.unmovable.delete(name);
          const left = this.stats.leftInInbox.filter((n) => n !== name);
          if ((await this.ingest(session, name)) === 'left') left.push(name);
          this.stats.leftInInbox = left;
        } catch (err) {
          this.stats.leftInInbox = this.stats.leftInInbox.filter((n) => n !== name);
          if (this.cannotRead(name, err) || this.cannotMove(name, err)) continue;
          if (!(err instanceof ExchangeFileError)) throw err;
          const where = await this.moveOut(name, 'refused', `refused (${err.reason}): ${err.message}`).catch((e: unknown) => (this.cannotMove(name, e) ? null : Promise.reject(e)));
          if (where === null) continue;
          this.stats.refused.push(name);
          this.log.warn({ file: name, reason: err.reason, detail: err.message, movedTo: where }, 'answer file refused; nothing in it was applied');
        }
      }
      await session.query('SELECT pg_advisory_unlock($1::bigint)', [INBOX_LOCK]);
    });
  }

  /**
   * Forgets the files noted as unreadable, unmovable or another database's that are no longer in the inbox (`names`):
   * one the operator took out meanwhile is no longer there to be read, and another database's answer, taken by that
   * database meanwhile, no longer there to be left.
   */
  private forgetGone(names: string[]): void {
    for (const gone of [...this.unreadable.keys()].filter((n) => !names.includes(n))) this.unreadable.delete(gone);
    for (const gone of [...this.unmovable.keys()].filter((n) => !names.includes(n))) this.unmovable.delete(gone);
    for (const gone of [...this.foreign].filter((n) => !names.includes(n))) this.foreign.delete(gone);
  }

  /**
   * An answer file this user may not open (the transfer's user uploaded it 0600): left in the inbox, noted for the
   * run's last line, and the others taken. Failing the look instead stopped the whole exchange on that one file:
   * no other answer applied and nobody new asked, night after night, until its permissions were fixed.
   */
  private cannotRead(name: string, err: unknown): boolean {
    const e = err as NodeJS.ErrnoException;
    if (!(e?.syscall === 'open' && (e.code === 'EACCES' || e.code === 'EPERM') && e.path === path.join(this.settings.inbox, name))) return false;
    this.unreadable.set(name, fileErrorWords(e));
    this.log.warn({ file: name, code: e.code }, 'answer file cannot be read: left in the inbox');
    return true;
  }

  /** Answer files of the inbox this process could not read, and why (cannotRead). */
  private readonly unreadable = new Map<string, string>();

  /**
   * Moves a file of the inbox into done/ or refused/; a failure of the file system (a read-only or full inbox, a
   * folder ddcn may not write) is a MoveError, which leaves the file where it is (cannotMove).
   */
  private async moveOut(name: string, sub: 'done' | 'refused', reason?: string): Promise<string> {
    try {
      return await moveInto(this.settings.inbox, name, sub, reason);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException)?.code;
      if (code && MOVE_FAILURES.has(code)) throw new MoveError(sub, err);
      throw err;
    }
  }

  /**
   * An answer file applied (or refused) whose move out of the inbox failed: left where it is, said at the end of the
   * run (exit 1), and the other files and the run's requests go on. The next run applies it no second time (its
   * request is answered with that file: only the move is done then). Thrown, the failure stopped every run before
   * it asked anyone, for as long as the inbox could not be written.
   */
  private cannotMove(name: string, err: unknown): boolean {
    if (!(err instanceof MoveError)) return false;
    this.unmovable.set(name, `into ${err.sub}/: ${fileErrorWords(err.cause)}`);
    this.log.warn({ file: name, to: err.sub, code: (err.cause as NodeJS.ErrnoException).code }, 'answer file cannot be moved out of the inbox: left there');
    return true;
  }

  /** Answer files this process applied or refused and could not move out of the inbox, and why (cannotMove). */
  private readonly unmovable = new Map<string, string>();

  /** The run's failure when answer files could not be moved (cannotMove); null when none. */
  unmovableMessage(): string | null {
    if (this.unmovable.size === 0) return null;
    const files = [...this.unmovable].map(([name, why]) => `${name} ${why}`).join('; ');
    return (
      `cannot move ${this.unmovable.size} answer file${this.unmovable.size > 1 ? 's' : ''} out of ${this.settings.inbox} (${files}): ` +
      `each was read and applied or refused, and is left in place; let the user ddcn runs as write the inbox and its done/ and refused/ folders, and the next run moves them`
    );
  }

  /**
   * The registry's answers to our outstanding requests that this process refused, and why (ingest). Their people
   * are asked for again at once, so they never wait long on one request: a cause that stays (a transfer in text
   * mode, a registry that writes another encoding or format) refuses every answer night after night, and without
   * a failure of its own each of those nights exited 0 and the overdue check never fired.
   */
  private readonly refusedAnswers = new Map<string, string>();

  /** The run's failure when answers to our requests were refused (refusedAnswers); null when none. */
  refusedMessage(): string | null {
    const n = this.refusedAnswers.size;
    if (n === 0) return null;
    const shown = [...this.refusedAnswers].slice(0, 3).map(([name, why]) => `${name}: ${why}`);
    if (n > shown.length) shown.push(`${n - shown.length} more`);
    return (
      `the registry's answer${n > 1 ? 's' : ''} to ${n} request${n > 1 ? 's were' : ' was'} refused (${shown.join('; ')}): nothing in ` +
      `${n > 1 ? 'them' : 'it'} was applied and the people are asked for again, but while the cause stays their next answers are refused ` +
      `too: fix what the reasons in ${path.join(this.settings.inbox, 'refused')} say (docs/runbook.md, "The file exchange")`
    );
  }

  /** Answer files in our own form to requests this database never sent, left in the inbox (ingest). */
  private readonly foreign = new Set<string>();

  /** The run's failure when the inbox holds answers to requests this database never sent (foreign); null when none. */
  foreignMessage(): string | null {
    const n = this.foreign.size;
    if (n === 0) return null;
    const shown = [...this.foreign].slice(0, 3);
    if (n > shown.length) shown.push(`${n - shown.length} more`);
    return (
      `${n} answer file${n > 1 ? 's' : ''} in ${this.settings.inbox} answer${n > 1 ? ' requests' : 's a request'} this database never sent ` +
      `(${shown.join(', ')}): another ddcn database (a test or staging copy) uses these folders, and ${n > 1 ? 'they are' : 'it is'} left in the inbox ` +
      `for it; give each database folders of its own (--outbox, --inbox). If this database was restored from a backup, ` +
      `${n > 1 ? 'they answer requests' : 'it answers a request'} sent after it: move ${n > 1 ? 'them' : 'it'} out of the inbox`
    );
  }

  /** The run's failure when answer files could not be read (cannotRead); null when none. */
  unreadableMessage(): string | null {
    if (this.unreadable.size === 0) return null;
    const files = [...this.unreadable].map(([name, why]) => `${name}: ${why}`).join('; ');
    return (
      `cannot read ${this.unreadable.size} answer file${this.unreadable.size > 1 ? 's' : ''} in ${this.settings.inbox} (${files}): ` +
      `let the user ddcn runs as read them (the transfer's umask or group); the other answers were applied, and the next run reads these`
    );
  }

  private async ingest(session: Session, name: string): Promise<'left' | 'foreign' | undefined> {
    const named = name.endsWith(ANSWER_SUFFIX) ? `${name.slice(0, -ANSWER_SUFFIX.length)}.csv` : null;
    let req = named === null ? null : await requestByFile(session, named);
    // A symbolic link (an answer linked in rather than copied): skipped, it left its people "awaiting answers" in the
    // folder that held them, without a word; followed, it would let whoever writes the inbox have ddcn read any file
    // ddcn may read and say of it in refused/ how long it is. Refused, saying what to do. Named after an outstanding
    // request of ours, it is refused as its answer: its people are asked for again now, and the run fails
    // (refusedAnswers), rather than leave them awaiting an answer put in refused/ until the resend.
    if ((await lstat(path.join(this.settings.inbox, name)).catch(() => null))?.isSymbolicLink()) {
      throw await this.refusedAnswer(session, name, req, new ExchangeFileError('format', 'a symbolic link, not a file: ddcn reads only answer files put in the inbox themselves; copy the answer in, do not link it'));
    }
    // Named in our own form for a request this database never sent: the answer of another database that uses the
    // same folders (a test or staging copy, whose request of the same number has another name), or of a request sent
    // after the backup this database was restored from. With the same people and data that request is byte for byte
    // one of ours: taken by checksum, it was applied here and moved to done/ without a word; refused into refused/,
    // it was still lost to the database that sent it, which waited for its answer until the overdue check. Left in
    // the inbox, that database takes it at its next look, and this run fails saying why (foreignMessage).
    if (req === null && OUR_ANSWER_NAME.test(name)) {
      if (!this.foreign.has(name)) this.log.warn({ file: name }, 'answer file to a request this database never sent: left in the inbox for the database that sent it');
      this.foreign.add(name);
      return 'foreign';
    }
    // Renamed on its way (a copy's ` (1)` or `-2`, a name in capitals, a prefix the transfer added): its trailer
    // names the request it answers by the request file's checksum. Taken so for an outstanding request only: an
    // answered or refused one keeps its own answer file, and a stranger's name is refused as before.
    const byChecksum = req ? null : await this.outstandingRequestOf(session, name);
    if (byChecksum) {
      this.log.warn({ file: name, request: byChecksum.fileName }, 'answer file not named after its request: applied to the request its trailer names by checksum');
      req = byChecksum;
    } else if (named === null) {
      throw new ExchangeFileError('request', `not an answer file: answers are named <request file without .csv>${ANSWER_SUFFIX}`);
    }
    try {
      return await this.apply(session, name, req?.fileName ?? named!, req);
    } catch (err) {
      // An answer to one of our outstanding requests that cannot be applied: the registry believes it answered, so
      // its people are sent again now (the run that is ingesting asks for them in a new request file) instead of
      // waiting the resend delay for nothing.
      throw err instanceof ExchangeFileError ? await this.refusedAnswer(session, name, req, err) : err;
    }
  }

  /** `err`, once an answer to one of our outstanding requests is marked refused and its people to be asked again. */
  private async refusedAnswer(session: Session, name: string, req: RequestRecord | null, err: ExchangeFileError): Promise<ExchangeFileError> {
    if (req?.state === 'outstanding') {
      await markRefused(session, req.id);
      this.refusedAnswers.set(name, `${err.reason}: ${err.message}`);
    }
    return err;
  }

  /** The outstanding request whose checksum a readable exchange file's trailer names (request_sha256); else null. */
  private async outstandingRequestOf(session: Session, name: string): Promise<RequestRecord | null> {
    const file = path.join(this.settings.inbox, name);
    if ((await stat(file)).size > DEFAULT_MAX_ANSWER_BYTES) return null;
    const trailer = await parseExchangeFile(await readFile(file, 'utf8'), ANSWER_COLUMNS).then((p) => p.trailer, () => null);
    if (!trailer?.request_sha256) return null;
    const fileName = await outstandingRequestByChecksum(session, trailer.request_sha256);
    return fileName === null ? null : requestByFile(session, fileName);
  }

  /** Applies the answer file, or 'left' when it is left in the inbox for a later look (still being copied). */
  private async apply(session: Session, name: string, requestFile: string, req: RequestRecord | null): Promise<'left' | undefined> {
    const file = path.join(this.settings.inbox, name);
    // Read whole, so bounded first: an answer to one request (≤ 1000 people) is far below the bound.
    const { size, mtimeMs } = await stat(file);
    if (size > DEFAULT_MAX_ANSWER_BYTES) throw new ExchangeFileError('format', `${size} bytes, more than an answer can be (${DEFAULT_MAX_ANSWER_BYTES}); not read`);
    const text = await readFile(file, 'utf8');
    const parsed: Awaited<ReturnType<typeof parseExchangeFile>> | Error = await parseExchangeFile(text, ANSWER_COLUMNS).catch((err: unknown) =>
      err instanceof Error ? err : new Error(String(err)),
    );
    // Cut short and changed a moment ago: a transfer that writes under the final name (scp, sftp put, a copy from a
    // USB stick) may still be writing it. Refused now, the whole answer would land in refused/ as the copy goes on
    // there, and its people would wait a round trip more: left for a later look instead. Cut short: no whole
    // trailer line, or a last line without its line end that fails (a cut just before `;request_sha256=`). The
    // file's time is the file system's: a copy's is now until it ends (cp -p and sftp -p set the source's after).
    const cutShort = parsed instanceof ExchangeFileError
      ? parsed.cutShort || !text.endsWith('\n')
      : !(parsed instanceof Error) && !parsed.trailer.request_sha256 && !text.endsWith('\n');
    const changedAgo = Date.now() - mtimeMs;
    // A time far ahead (a file server's clock) is no sign of a copy under way: it would hold the file back for days.
    if (cutShort && Math.abs(changedAgo) < ANSWER_SETTLE_MS) {
      this.log.info({ file: name, changedSecondsAgo: Math.round(changedAgo / 1000) }, 'answer file cut short and changed a moment ago: left in the inbox, it may still be being copied');
      return 'left';
    }
    if (parsed instanceof Error) throw parsed;
    const { rows, trailer } = parsed;
    if (!req) throw new ExchangeFileError('request', `answers ${requestFile}, which this database never sent`);
    if (req.state === 'refused') {
      throw new ExchangeFileError('request', `an answer to ${requestFile} was refused before and its people were asked for again in a new request file: only that request's answer counts`);
    }
    if (trailer.request_sha256 !== req.checksum) throw new ExchangeFileError('request', `request_sha256 in the trailer is not the checksum of ${requestFile}`);
    if (req.state === 'answered') {
      if (req.answerChecksum === trailer.sha256) {
        await this.moveOut(name, 'done'); // applied before a crash, or its move failed; only the move was missing
        return;
      }
      throw new ExchangeFileError('request', `${requestFile} was already answered by another file`);
    }
    const answers: VerifyAnswer[] = [];
    for (const [i, row] of rows.entries()) {
      const a = answerFromRow(row);
      if (!a) throw new ExchangeFileError('format', `row ${i + 2} does not fit the answer format`);
      answers.push(a);
    }
    const misfit = answersMisfit(req.codes, answers.map((a) => a.requestId));
    if (misfit) throw new ExchangeFileError('ids', `request ids do not fit ${requestFile} (${misfit})`);
    await session.withTransaction((tx) =>
      recordAnswers(tx, { requestId: req.id, answerFile: name, answerChecksum: trailer.sha256, now: this.now(), answers }),
    );
    this.stats.ingested += 1;
    this.log.info({ file: name, people: answers.length }, 'answer file ingested');
    await this.moveOut(name, 'done');
  }

  /** For the operator, after the run: this process's files, then who waits for answers (from the database). */
  summary(waiting: Waiting | null): string {
    const s = this.stats;
    const parts = [
      `file exchange: ${counted(s.ingested, 'answer file')} ingested`,
      `${s.refused.length} refused${s.refused.length ? ` (see ${path.join(this.settings.inbox, 'refused')})` : ''}` +
        (s.resent ? ` (${s.resent === 1 ? 'its 1 person is' : `their ${s.resent} people are`} asked for again)` : ''),
      // Where they are, for the operator who carries them to the registry (a USB stick, an SFTP drop).
      `${counted(s.requestFiles, 'request file')} written${s.requestFiles ? ` to ${this.settings.outbox}` : ''} for ${counted(s.requested, 'person', 'people')}`,
    ];
    if (s.leftInInbox.length) {
      parts.splice(2, 0, `${s.leftInInbox.length} left in the inbox: cut short and changed in the last ${ANSWER_SETTLE_MS / 60_000} minutes, still being copied? (a later run reads them)`);
    }
    if (this.foreign.size) parts.splice(2, 0, `${this.foreign.size} left in the inbox for another database (answers to requests this database never sent)`);
    if (waiting?.people && waiting.oldest) {
      parts.push(
        `${counted(waiting.people, 'person awaits', 'people await')} answers in ${this.settings.inbox} (the oldest request, ${waiting.oldest.file}, written ` +
          `${vnTime(waiting.oldest.createdAt)}): ${awaitingState(waiting.people, waiting.kept ?? 0)} until a later run ingests them`,
      );
    }
    const lines = [parts.join(' · ')];
    if (this.created.length) lines.push(`created ${this.created.join(' and ')}, which did not exist: if that is not the first night, check the path`);
    return lines.join('\n');
  }

  /** The run's failure when people have waited past the due time (see FileExchangeSettings.answerDueMs). */
  /**
   * The run's failure, from the file exchange, once its registry failures are said: answers to our requests that
   * were refused, answer files that could not be read or moved, another database's answers left in the inbox and
   * people waiting too long, together. Both at once are often one cause (the answer to the oldest request is
   * the file that cannot be read): said only as overdue, the operator was sent to check the transfer and to ask again,
   * whose answer the transfer makes unreadable in turn.
   */
  runFailure(waiting: Waiting | null): string | null {
    const said = [this.refusedMessage(), this.unreadableMessage(), this.unmovableMessage(), this.foreignMessage(), waiting?.overdue ? this.overdueMessage(waiting) : null]
      .filter((m) => m !== null);
    return said.length ? said.join('; and ') : null;
  }

  overdueMessage(waiting: Waiting): string {
    const hours = Math.round(this.answerDueMs / 3_600_000);
    return (
      `${waiting.people} people have waited more than ${hours} h for the registry's answers (the oldest request, ${waiting.oldest!.file}, ` +
      `was written ${vnTime(waiting.oldest!.createdAt)}): check that the registry side takes the ` +
      `request files from ${this.settings.outbox} and puts its answers in ${this.settings.inbox} (not in a subfolder); to send them ` +
      `again now, run once with DDCN_REGISTRY_RESEND_AFTER_HOURS=1 (docs/runbook.md, "The file exchange")`
    );
  }
}
