// The registry over files, the answers an operator may find in the inbox besides the expected ones: an answer
// applied before a crash that was not yet moved away, a second answer to a request already answered, an answer
// naming another request's checksum, a row that is no answer; and the summary the operator reads after a run.
import { copyFile, mkdir, readdir, readFile, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ABANDONED_KEPT_MS, ANSWER_SETTLE_MS, FileExchangeRegistry, INBOX_LOCK, INBOX_LOOK_EVERY_MS, STALE_PARTIAL_MS } from '../../src/adapters/file-exchange.js';
import { DEFAULT_MAX_ANSWER_BYTES } from '../../src/adapters/http-body.js';
import { ANSWER_COLUMNS, answerFileFor, answerRow, formatExchangeFile, parseExchangeFile, REQUEST_COLUMNS } from '../../src/adapters/file-exchange-format.js';
import type { VerifyAnswer } from '../../src/adapters/types.js';
import { memoryDirectory } from '../../src/adapters/directory.js';
import { MockRegistry } from '../../src/adapters/mock.js';
import type { Db, Queryable, Session } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';
import { UsageError, UserError } from '../../src/errors.js';
import { runBatch } from '../../src/pipeline/run.js';
import { sleep } from '../../src/sleep.js';
import { answerRequestFiles } from '../../src/registry-server/answer-files.js';
import { databasePerFile, FIXED_NOW, rows, runDeps, useTempDir } from '../helpers/pipeline.js';
import { capturedLog } from '../helpers/log.js';
import { FIXTURE_REGISTRY, importFixtures } from './http-harness.js';

/** Sets a file's times `ms` in the past, as a crash that long ago would have left it. */
async function ageFile(file: string, ms: number): Promise<void> {
  const then = (Date.now() - ms) / 1000;
  await utimes(file, then, then);
}

const database = databasePerFile();
const log = createLogger('silent');
const CONFIG = { chunkSize: 100, batchSize: 50, concurrency: 2 };
const WEEK = 7 * 24 * 3_600_000;

/** The exchange's two folders, there already (as after the first night). */
async function folders() {
  const dir = await useTempDir();
  const f = { outbox: path.join(dir, 'outbox'), inbox: path.join(dir, 'inbox') };
  await Promise.all([mkdir(f.outbox), mkdir(f.inbox)]);
  return f;
}

async function run(db: Db, f: { outbox: string; inbox: string }, logger = log) {
  const exchange = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, logger, () => FIXED_NOW);
  const result = await runBatch(runDeps(db, exchange, CONFIG), { province: null });
  return { result, exchange };
}

const files = async (dir: string) => (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
const requestOf = (answerFile: string) => answerFile.replace(/\.answer\.csv$/, '.csv');

/** An answer file's rows and trailer, to write an altered copy that still fits its own checksum. */
async function answerRows(file: string) {
  const p = await parseExchangeFile(await readFile(file, 'utf8'), ANSWER_COLUMNS);
  return { rows: p.rows.map((r) => ANSWER_COLUMNS.map((k) => r[k]!)), requestSha256: p.trailer.request_sha256! };
}

const person = { requestId: '0100000001', hoTen: 'Nguyễn Văn An', ngaySinh: '1990-01-01', gioiTinh: 'M' as const, soGiayTo: '012345678' };

/**
 * The outbox as two crashes leave it: one request file recorded but not put in place, and an hour-old dot file of a
 * request never recorded. Returns the recorded request's file name.
 */
async function crashLeftOutbox(db: Db, f: { outbox: string; inbox: string }): Promise<string> {
  await (await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW)).verify([person]);
  const [request] = await files(f.outbox);
  await rename(path.join(f.outbox, request!), path.join(f.outbox, `.${request}.partial`));
  await writeFile(path.join(f.outbox, '.ddcn-req-99999999-aaaaaa.csv.partial'), 'half a fi');
  await ageFile(path.join(f.outbox, '.ddcn-req-99999999-aaaaaa.csv.partial'), STALE_PARTIAL_MS + 60_000);
  return request!;
}

/** Asks the registry about `person` (one request file), then puts the registry's answer to it in the inbox. */
async function askedAndAnswered(db: Db, f: { outbox: string; inbox: string }): Promise<string> {
  await (await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW)).verify([person]);
  const [request] = await files(f.outbox);
  const requestSha256 = (await parseExchangeFile(await readFile(path.join(f.outbox, request!), 'utf8'), REQUEST_COLUMNS)).trailer.sha256;
  const answerFile = answerFileFor(request!);
  await writeFile(
    path.join(f.inbox, answerFile),
    formatExchangeFile(ANSWER_COLUMNS, [answerRow({ requestId: person.requestId, matched: true, soDdcn: '001090000001', fields: [] })], { requestSha256 }).text,
  );
  return answerFile;
}
/** An exchange on a clock the test moves (`clock.ms`), its first look at the inbox done at FIXED_NOW. */
async function lookedOnce(db: Db, f: { outbox: string; inbox: string }, logger = log) {
  const clock = { ms: FIXED_NOW.getTime() };
  const exchange = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, logger, () => new Date(clock.ms));
  expect(await exchange.verify([])).toEqual([]);
  return { exchange, clock };
}

/** Sessions holding the inbox's advisory lock: none once the exchanges are done. */
const inboxLocks = async (db: Db) =>
  Number((await rows<{ n: number }>(db, `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = $1 AND objsubid = 1`, [INBOX_LOCK]))[0]!.n);
/** The registry's answer file to a request file in the outbox. */
async function answerTo(requestFile: string, answers: VerifyAnswer[]): Promise<string> {
  const requestSha256 = (await parseExchangeFile(await readFile(requestFile, 'utf8'), REQUEST_COLUMNS)).trailer.sha256;
  return formatExchangeFile(ANSWER_COLUMNS, answers.map(answerRow), { requestSha256 }).text;
}
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ANSWERED = [{ requestId: '0100000001', matched: true, soDdcn: '001090000001', fields: [] }];

describe('file exchange answers', () => {
  it('moves aside an answer already applied, refuses a second answer, a foreign request checksum and a row that is no answer, and says so in the summary', async () => {
    const { db } = database();
    await importFixtures(db);
    const f = await folders();
    const refusedDir = path.join(f.inbox, 'refused');
    const doneDir = path.join(f.inbox, 'done');

    const first = await run(db, f);
    // Who waits is read from the database, with the oldest request they wait on.
    expect(first.exchange.summary(await first.exchange.waiting())).toMatch(
      new RegExp(
        `^file exchange: 0 answer files ingested · 0 refused · 7 request files written to ${escape(f.outbox)} for 328 people · 328 people await answers in ${escape(f.inbox)} ` +
          `\\(the oldest request, ddcn-req-\\d{8}-[0-9a-f]{6}\\.csv, written 2024-06-03 08:30:00 \\(UTC\\+7\\)\\): PENDING until a later run ingests them$`,
      ),
    );

    await answerRequestFiles({ registry: new MockRegistry(await memoryDirectory(FIXTURE_REGISTRY)), ...f, log });
    const answers = await files(f.inbox);
    expect(answers).toHaveLength(7);
    const [c, d] = answers as [string, string];
    const pristine = { c: await readFile(path.join(f.inbox, c), 'utf8'), d: await readFile(path.join(f.inbox, d), 'utf8') };
    // c names a request checksum that is not its request's; d's second data row (line 3) is no answer.
    const rc = await answerRows(path.join(f.inbox, c));
    await writeFile(path.join(f.inbox, c), formatExchangeFile(ANSWER_COLUMNS, rc.rows, { requestSha256: 'f'.repeat(64) }).text);
    const rd = await answerRows(path.join(f.inbox, d));
    rd.rows[1]![1] = 'perhaps';
    await writeFile(path.join(f.inbox, d), formatExchangeFile(ANSWER_COLUMNS, rd.rows, rd).text);
    const held = rc.rows.length + rd.rows.length;

    const logged = capturedLog('info');
    const second = await run(db, f, logged.log);
    // The registry believes it answered c's and d's requests: their people are asked for again, in this run.
    expect(second.exchange.stats).toMatchObject({ ingested: 5, refused: [c, d], resent: held, requested: held });
    const resentFiles = second.exchange.stats.requestFiles;
    expect(resentFiles).toBeGreaterThanOrEqual(1);
    // The log says which files were refused, why and where they went; and each file applied, with its count.
    expect(logged.lines.filter((l) => l.msg === 'answer file refused; nothing in it was applied')).toEqual([
      expect.objectContaining({ stage: 'registry', file: c, reason: 'request', detail: `request_sha256 in the trailer is not the checksum of ${requestOf(c)}`, movedTo: path.join(refusedDir, c) }),
      expect.objectContaining({ stage: 'registry', file: d, reason: 'format', detail: 'row 3 does not fit the answer format', movedTo: path.join(refusedDir, d) }),
    ]);
    const ingested = logged.lines.filter((l) => l.msg === 'answer file ingested');
    expect(ingested.map((l) => l.file)).toEqual(answers.slice(2));
    expect(ingested.reduce((n, l) => n + (l.people as number), 0)).toBe(328 - held);
    expect(await readFile(path.join(refusedDir, `${c}.reason.txt`), 'utf8'))
      .toBe(`refused (request): request_sha256 in the trailer is not the checksum of ${requestOf(c)}\n`);
    expect(await readFile(path.join(refusedDir, `${d}.reason.txt`), 'utf8')).toBe('refused (format): row 3 does not fit the answer format\n');
    expect(second.result.counts.pending).toBe(held);
    expect(second.exchange.summary(await second.exchange.waiting())).toMatch(
      new RegExp(
        `^${escape(`file exchange: 5 answer files ingested · 2 refused (see ${refusedDir}) (their ${held} people are asked for again) · ` +
          `${resentFiles} request file${resentFiles > 1 ? 's' : ''} written to ${f.outbox} for ${held} people · ${held} people await answers in ${f.inbox}`)} \\(the oldest request, ddcn-req-0000000[89]-`,
      ),
    );

    // A run that died after recording answer a but before moving it finds it again: it is only moved to done.
    // b is another answer to a request already answered (one answer changed): refused, the first answer stands.
    const [a, b] = (await files(doneDir)) as [string, string];
    await copyFile(path.join(doneDir, a), path.join(f.inbox, a));
    const rb = await answerRows(path.join(doneDir, b));
    const changed = rb.rows.findIndex((r) => r[1] === 'true');
    rb.rows[changed] = [rb.rows[changed]![0]!, 'false', '', 'name', 'Người Khác', '', ''];
    await writeFile(path.join(f.inbox, b), formatExchangeFile(ANSWER_COLUMNS, rb.rows, rb).text);
    const statusBefore = await rows(db, 'SELECT ma_so_bhxh, status, so_ddcn FROM participant ORDER BY 1');

    const third = await run(db, f);
    expect(third.exchange.stats).toMatchObject({ ingested: 0, refused: [b], requestFiles: 0 });
    expect(await files(f.inbox)).toEqual([]);
    expect(await files(doneDir)).toContain(`${a}.1`);
    expect(await readFile(path.join(doneDir, `${a}.1`), 'utf8')).toBe(await readFile(path.join(doneDir, a), 'utf8'));
    expect(await readFile(path.join(refusedDir, `${b}.reason.txt`), 'utf8')).toBe(`refused (request): ${requestOf(b)} was already answered by another file\n`);
    expect(await rows(db, 'SELECT ma_so_bhxh, status, so_ddcn FROM participant ORDER BY 1')).toEqual(statusBefore);

    // The registry answers the requests sent again: applied, and nobody awaits an answer any more. c and d, sent
    // again late as they should have been, are refused: the answers to the new requests count. (a is found once
    // more, and kept beside the other two copies.)
    await answerRequestFiles({ registry: new MockRegistry(await memoryDirectory(FIXTURE_REGISTRY)), ...f, log });
    await writeFile(path.join(f.inbox, c), pristine.c);
    await writeFile(path.join(f.inbox, d), pristine.d);
    await copyFile(path.join(doneDir, a), path.join(f.inbox, a));
    const fourth = await run(db, f);
    expect(fourth.result.counts.pending).toBe(0);
    expect((await files(doneDir)).filter((n) => n.startsWith(a))).toEqual([a, `${a}.1`, `${a}.2`]);
    expect(fourth.exchange.stats).toMatchObject({ ingested: resentFiles, refused: [c, d], resent: 0, requestFiles: 0 });
    expect(await readFile(path.join(refusedDir, `${c}.1.reason.txt`), 'utf8').catch(() => readFile(path.join(refusedDir, `${c}.reason.txt`), 'utf8')))
      .toContain(`an answer to ${requestOf(c)} was refused before and its people were asked for again in a new request file: only that request's answer counts`);
  });

  it('refuses a file that is no answer, saying why, and leaves an answer to a request this database never sent in the inbox, failing the run', async () => {
    const { db } = database();
    await importFixtures(db);
    const f = await folders();
    await run(db, f);
    await answerRequestFiles({ registry: new MockRegistry(await memoryDirectory(FIXTURE_REGISTRY)), ...f, log });
    const [one] = await files(f.inbox);
    const stranger = 'ddcn-req-99999999-abcdef.answer.csv';
    await copyFile(path.join(f.inbox, one!), path.join(f.inbox, stranger));
    await writeFile(path.join(f.inbox, 'ghi-chu.csv'), 'a note someone left here\n');
    const second = await run(db, f);
    expect(second.exchange.stats.refused).toEqual(['ghi-chu.csv']);
    expect(await readFile(path.join(f.inbox, 'refused', 'ghi-chu.csv.reason.txt'), 'utf8'))
      .toBe('refused (request): not an answer file: answers are named <request file without .csv>.answer.csv\n');
    // Another database's answer (or one to a request sent after the backup this database was restored from): left for
    // it, said in the summary, and the run fails saying what to do.
    expect(await files(f.inbox)).toEqual([stranger]);
    expect(second.exchange.summary(null)).toContain('1 left in the inbox for another database (answers to requests this database never sent)');
    // One of each is said as one, in the night's log: it read "1 answer files ingested … 1 request files written … for 1 people".
    Object.assign(second.exchange.stats, { ingested: 1, refused: ['ddcn-req-00000002-abcdef.answer.csv'], resent: 1, requestFiles: 1, requested: 1 });
    const oldest = { file: 'ddcn-req-00000001-abcdef.csv', createdAt: new Date('2026-12-07T20:00:00Z') };
    expect(second.exchange.summary({ people: 1, oldest, overdue: false })).toMatch(
      /^file exchange: 1 answer file ingested · 1 refused \(see .*\) \(its 1 person is asked for again\) · 1 left in the inbox for another database .* · 1 request file written to .* for 1 person · 1 person awaits answers in /,
    );
    expect(second.exchange.runFailure(null)).toBe(
      `1 answer file in ${f.inbox} answers a request this database never sent (${stranger}): another ddcn database (a test or staging copy) ` +
        'uses these folders, and it is left in the inbox for it; give each database folders of its own (--outbox, --inbox). If this ' +
        'database was restored from a backup, it answers a request sent after it: move it out of the inbox',
    );
    // Once its database has taken it, a long-running process (ddcn worker) says nothing of it at its next look.
    const { exchange, clock } = await lookedOnce(db, f);
    expect(exchange.runFailure(null)).toContain(stranger);
    await rm(path.join(f.inbox, stranger));
    clock.ms += INBOX_LOOK_EVERY_MS;
    await exchange.verify([]);
    await exchange.close(); // the look in the background has ended
    expect(exchange.runFailure(null)).toBeNull();
  });

  it('applies an answer file renamed on its way to the outstanding request its trailer names by checksum, and refuses it once that request is answered', async () => {
    const { db } = database();
    const f = await folders();
    const { open, other, one, two } = await twoRequests(db, f);
    const answers = [person, other].map((p) => ({ requestId: p.requestId, matched: true, soDdcn: `00109000000${p.requestId.slice(-1)}`, fields: [] }));
    // A second copy made by a file manager, and a name turned to capitals by a transfer tool.
    const copy = answerFileFor(one!).replace('.answer.csv', ' (1).answer.csv');
    const capitals = answerFileFor(two!).toUpperCase();
    await writeFile(path.join(f.inbox, copy), await answerTo(path.join(f.outbox, one!), [answers[0]!]));
    await writeFile(path.join(f.inbox, capitals), await answerTo(path.join(f.outbox, two!), [answers[1]!]));
    const logged = capturedLog('info');
    const next = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, logged.log, () => FIXED_NOW);
    expect(await next.verify([person, other])).toEqual(answers);
    expect(next.stats).toMatchObject({ ingested: 2, refused: [], requestFiles: 0 });
    expect(await files(path.join(f.inbox, 'done'))).toEqual([capitals, copy].sort());
    expect(logged.lines.filter((l) => String(l.msg).startsWith('answer file not named after its request')).map((l) => [l.file, l.request]))
      .toEqual([[capitals, two], [copy, one]]);

    // The same file again under yet another name: its request is answered, so it is a stranger's, refused. (One
    // named in our own form, `ddcn-req-00000001-000000.answer.csv`, would be another database's: left in the inbox.)
    const again = answerFileFor(one!).replace('.answer.csv', ' (2).answer.csv');
    await writeFile(path.join(f.inbox, again), await answerTo(path.join(f.outbox, one!), [answers[0]!]));
    const third = await open();
    await third.verify([]);
    expect(third.stats.refused).toEqual([again]);
  });

  // Two databases sharing the folders (a staging copy of production): with the same people and data, their requests
  // are byte for byte the same, and each one's answer names, by checksum, a request of the other.
  it('leaves to the other database an answer named after a request it sent, rather than taking it by checksum or refusing it', async () => {
    const { db } = database();
    const f = await folders();
    const { open, one } = await twoRequests(db, f);
    const answer = { requestId: person.requestId, matched: true, soDdcn: '001090000001', fields: [] };
    const theirs = 'ddcn-req-00000001-ffffff.answer.csv'; // the other database's request 1, the same content as ours
    expect(answerFileFor(one)).not.toBe(theirs);
    await writeFile(path.join(f.inbox, theirs), await answerTo(path.join(f.outbox, one), [answer]));
    const next = await open();
    expect(await next.verify([person])).toEqual([]);
    expect(next.stats).toMatchObject({ ingested: 0, refused: [], resent: 0 });
    expect(await files(f.inbox)).toEqual([theirs]);
    expect(next.runFailure(null)).toContain(`answers a request this database never sent (${theirs}): another ddcn database`);
    // Ours, when it comes, is applied; theirs is still left for them.
    await writeFile(path.join(f.inbox, answerFileFor(one)), await answerTo(path.join(f.outbox, one), [answer]));
    const last = await open();
    expect(await last.verify([person])).toEqual([answer]);
    expect(await files(f.inbox)).toEqual([theirs]);
  });

  // Skipped, a linked answer left its people "awaiting answers" in the very folder that held it, without a word.
  it('refuses an answer linked into the inbox (a symbolic link), saying to copy it in, and applies nothing of it', async () => {
    const { db } = database();
    const f = await folders();
    const answerFile = await askedAndAnswered(db, f);
    const elsewhere = path.join(path.dirname(f.inbox), 'fetched');
    await mkdir(elsewhere);
    await rename(path.join(f.inbox, answerFile), path.join(elsewhere, answerFile));
    await symlink(path.join(elsewhere, answerFile), path.join(f.inbox, answerFile));
    await symlink(path.join(elsewhere, 'nothing.csv'), path.join(f.inbox, 'dangling.answer.csv'));
    const next = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
    expect(await next.verify([person])).toEqual([]);
    expect(next.stats.refused.sort()).toEqual([answerFile, 'dangling.answer.csv'].sort());
    const refused = await readdir(path.join(f.inbox, 'refused'), { withFileTypes: true });
    expect(refused.filter((e) => e.isSymbolicLink()).map((e) => e.name).sort()).toEqual([answerFile, 'dangling.answer.csv'].sort());
    expect(await readFile(path.join(f.inbox, 'refused', `${answerFile}.reason.txt`), 'utf8')).toContain('a symbolic link, not a file');
    // The answer itself is untouched where it was.
    expect((await readdir(elsewhere))).toEqual([answerFile]);
    // Refused like any answer to a request of ours that cannot be applied: its people asked for again at once (not
    // left "awaiting" an answer that now lies in refused/ until the resend time), and the run fails saying so.
    expect(next.stats).toMatchObject({ resent: 1, requestFiles: 1 });
    expect(next.runFailure(null)).toContain(`${answerFile}: format: a symbolic link, not a file`);
  });

  it('refuses an outbox or inbox that cannot be a folder, saying why', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const plain = path.join(dir, 'plain.txt');
    await writeFile(plain, 'not a folder');
    const open = (outbox: string, inbox: string) => FileExchangeRegistry.open({ outbox, inbox, resendAfterMs: WEEK }, db, log).then(() => null, (e: unknown) => e as Error);

    const outbox = await open(plain, path.join(dir, 'inbox'));
    // The operator's to fix, said as any output folder is: a UserError, printed without the system's own error.
    expect(outbox).toBeInstanceOf(UserError);
    expect(outbox?.message).toBe(`cannot write ${plain} (the outbox): a file of that name is in the way (a part of the path is a file, not a folder) [EEXIST]`);
    expect(outbox?.cause).toMatchObject({ code: 'EEXIST' });
    const inbox = await open(path.join(dir, 'outbox'), path.join(plain, 'inbox'));
    expect(inbox).toBeInstanceOf(UserError);
    expect(inbox?.message).toBe(`cannot write ${path.join(plain, 'inbox')} (the inbox): a part of the path is not a folder [ENOTDIR]`);
  });

  it('refuses an inbox that is the outbox under another path, before it takes its own request files for answers', async () => {
    const { db } = database();
    const f = await folders();
    const link = path.join(path.dirname(f.outbox), 'inbox-link');
    await symlink(f.outbox, link);
    const open = () => FileExchangeRegistry.open({ outbox: f.outbox, inbox: link, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
    const failed = await open().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(UsageError);
    expect((failed as Error).message).toBe(
      `--inbox / DDCN_REGISTRY_INBOX: ${link} is the outbox ${f.outbox} under another path (a link, or the same share mounted twice): they must be different folders`,
    );
    // Two folders, one inside the other, are two folders.
    const inside = path.join(f.outbox, 'in');
    await FileExchangeRegistry.open({ outbox: f.outbox, inbox: inside, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
  });

  it('asks nothing for nobody, and keeps time by the clock when given none', async () => {
    const { db } = database();
    const f = await folders();
    const { lines, log: logger } = capturedLog('info');
    const exchange = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, logger);
    expect(exchange.kind).toBe('file'); // recorded with the batch, shown by `ddcn status`
    // Until it has looked at the inbox, it cannot tell who still waits (the run says nothing of it then).
    expect(exchange.lookedAtInbox).toBe(false);
    expect(await exchange.verify([])).toEqual([]);
    expect(exchange.lookedAtInbox).toBe(true);
    expect(await exchange.share([])).toEqual([]);
    expect(await readdir(f.outbox)).toEqual([]);

    const before = Date.now();
    expect(await exchange.verify([person])).toEqual([]);
    expect(await files(f.outbox)).toHaveLength(1);
    // The operator's log says where the request went, under the registry stage; no personal data.
    expect(lines).toEqual([expect.objectContaining({ stage: 'registry', registry: 'file', file: (await files(f.outbox))[0], people: 1, msg: 'request file written to the outbox' })]);
    expect(JSON.stringify(lines)).not.toContain('012345678');
    const sent = await rows<{ created_at: Date }>(db, 'SELECT created_at FROM exchange_request');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.created_at.getTime()).toBeGreaterThanOrEqual(before - 1000);
    // Asked again at once: still awaited, not sent twice.
    expect(await exchange.verify([person])).toEqual([]);
    expect(exchange.stats).toMatchObject({ requestFiles: 1, requested: 1, awaiting: 2 });
  });

  it('gives a later run the answers of its request, with the values the registry disclosed, and only for the people asked', async () => {
    const { db } = database();
    const f = await folders();
    const ask = (id: string, name: string) => ({ requestId: id, hoTen: name, ngaySinh: '1990-01-01', gioiTinh: 'M' as const, soGiayTo: `0123456${id.slice(-2)}` });
    const people = [ask('0100000001', 'Nguyễn Văn An'), ask('0100000002', 'Trần Văn Bình')];
    const first = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
    expect(await first.verify(people)).toEqual([]);
    const [request] = await files(f.outbox);
    const requestText = await readFile(path.join(f.outbox, request!), 'utf8');
    const answers: VerifyAnswer[] = [
      { requestId: '0100000001', matched: true, soDdcn: '001090000001', fields: [] },
      { requestId: '0100000002', matched: false, soDdcn: null, fields: ['dob', 'name'], registry: { hoTen: 'Trần Văn Bính', ngaySinh: '1990-02-01' } },
    ];
    const requestSha256 = (await parseExchangeFile(requestText, REQUEST_COLUMNS)).trailer.sha256;
    await writeFile(path.join(f.inbox, answerFileFor(request!)), formatExchangeFile(ANSWER_COLUMNS, answers.map(answerRow), { requestSha256 }).text);

    const next = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
    expect(await next.verify([...people, ask('0100000003', 'Lê Văn Cường')])).toEqual(answers);
    expect(next.stats).toMatchObject({ ingested: 1, answered: 2, requestFiles: 1, requested: 1 });
  });

  it('holds a person back while their request is younger than the resend delay, and sends them again once it is that old', async () => {
    const { db } = database();
    const f = await folders();
    const at = (ms: number) => FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => new Date(FIXED_NOW.getTime() + ms));
    await (await at(0)).verify([person]);
    const early = await at(WEEK - 1);
    await early.verify([person]);
    expect(early.stats).toMatchObject({ requestFiles: 0, awaiting: 1 });
    const due = await at(WEEK);
    await due.verify([person]);
    expect(due.stats).toMatchObject({ requestFiles: 1, requested: 1 });
    expect(await files(f.outbox)).toHaveLength(2);
  });

  it('takes a late answer to the first request after the person was sent again: it answers the same data', async () => {
    const { db } = database();
    const f = await folders();
    const at = (ms: number) => FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => new Date(FIXED_NOW.getTime() + ms));
    await (await at(0)).verify([person]); // request 1
    await (await at(WEEK)).verify([person]); // unanswered for a week: request 2
    const [first, second] = (await files(f.outbox)).sort();
    const answer: VerifyAnswer = { requestId: person.requestId, matched: true, soDdcn: '001090000001', fields: [] };
    // The registry answers request 1 after all; request 2 is still on its way.
    await writeFile(path.join(f.inbox, answerFileFor(first!)), await answerTo(path.join(f.outbox, first!), [answer]));
    const later = await at(WEEK + 3_600_000);
    expect(await later.verify([person])).toEqual([answer]);
    expect(later.stats).toMatchObject({ ingested: 1, answered: 1, requestFiles: 0 });
    // Not once the data changed: that answer was about other data.
    const renamed = { ...person, hoTen: 'Nguyễn Văn Ân' };
    const after = await at(WEEK + 7_200_000);
    expect(await after.verify([renamed])).toEqual([]);
    expect(after.stats).toMatchObject({ requestFiles: 1 });
    // …nor after it changed back (A, B, A): the registry may have changed meanwhile too.
    await writeFile(path.join(f.inbox, answerFileFor(second!)), await answerTo(path.join(f.outbox, second!), [answer]));
    const back = await at(WEEK + 10_800_000);
    expect(await back.verify([person])).toEqual([]);
    expect(back.stats).toMatchObject({ ingested: 1, requestFiles: 1 });
  });

  it('reads an answer a transfer in text mode gave CRLF line ends or a byte-order mark; skips files a transfer tool is still writing', async () => {
    const { db } = database();
    const f = await folders();
    const { open, other, one, two } = await twoRequests(db, f);
    const answers = [person, other].map((p) => ({ requestId: p.requestId, matched: false, soDdcn: null, fields: ['name' as const] }));
    const crlf = (await answerTo(path.join(f.outbox, one!), [answers[0]!])).replace(/\n/g, '\r\n');
    await writeFile(path.join(f.inbox, answerFileFor(one!)), crlf);
    // A BOM, and a half-uploaded copy under WinSCP's temporary name beside it: left alone until renamed.
    await writeFile(path.join(f.inbox, `${answerFileFor(two!)}.filepart`), 'ddcn-req');
    await writeFile(path.join(f.inbox, answerFileFor(two!)), '\uFEFF' + (await answerTo(path.join(f.outbox, two!), [answers[1]!])));
    const next = await open();
    expect(await next.verify([person, other])).toEqual(answers);
    expect(next.stats).toMatchObject({ ingested: 2, refused: [] });
    expect(await files(f.inbox)).toEqual([`${answerFileFor(two!)}.filepart`]);

    // Altered besides: refused, the reason naming what the transfer did.
    await (await open()).verify([{ ...person, hoTen: 'Nguyễn Văn Ân' }]);
    const three = (await files(f.outbox)).sort()[2]!;
    const altered = (await answerTo(path.join(f.outbox, three), [answers[0]!])).replace('false', 'true ').replace(/\n/g, '\r\n');
    await writeFile(path.join(f.inbox, answerFileFor(three)), altered);
    await (await open()).verify([]);
    await (await open()).verify([{ ...person, hoTen: 'Nguyễn Văn Ân' }]);
    expect(await readFile(path.join(f.inbox, 'refused', `${answerFileFor(three)}.reason.txt`), 'utf8')).toBe(
      'refused (checksum): checksum does not match the content: the file was altered or cut short (the file has Windows line ends (CRLF): ' +
        'was it transferred in text mode? transfer answer files in binary mode)\n',
    );
  });

  it('leaves an answer file being copied in place (cut short, changed a moment ago) for a later look, and refuses one cut short long ago', async () => {
    const { db } = database();
    const f = await folders();
    const open = () => FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
    await (await open()).verify([person]);
    const [request] = await files(f.outbox);
    const whole = await answerTo(path.join(f.outbox, request!), ANSWERED);
    const answerFile = path.join(f.inbox, answerFileFor(request!));
    // scp or sftp put writes under the final name: the first look finds it cut short, anywhere (a line end too).
    for (const cut of [0, whole.indexOf('\n') + 1, whole.length - 70, whole.indexOf(';request_sha256=')]) {
      await writeFile(answerFile, whole.slice(0, cut));
      const early = await open();
      expect(await early.verify([person])).toEqual([]);
      expect(early.stats).toMatchObject({ ingested: 0, refused: [], leftInInbox: [answerFileFor(request!)], requestFiles: 0 });
      expect(early.summary(null)).toContain('1 left in the inbox: cut short and changed in the last 10 minutes, still being copied? (a later run reads them)');
      expect(await files(f.inbox)).toEqual([answerFileFor(request!)]);
    }
    // A worker that runs on: its looks a minute apart find the file still cut short (counted once), then whole.
    const clock = { ms: FIXED_NOW.getTime() };
    const worker = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => new Date(clock.ms));
    expect(await worker.verify([person])).toEqual([]);
    clock.ms += INBOX_LOOK_EVERY_MS;
    await worker.verify([]);
    await worker.close();
    expect(worker.stats).toMatchObject({ ingested: 0, leftInInbox: [answerFileFor(request!)] });
    // The copy ends: the next look applies it, and it is no longer said to be left.
    await writeFile(answerFile, whole);
    clock.ms += INBOX_LOOK_EVERY_MS;
    await worker.verify([]);
    await worker.close();
    expect(await worker.verify([person])).toEqual(ANSWERED);
    expect(worker.stats).toMatchObject({ ingested: 1, refused: [], leftInInbox: [] });
    expect(worker.summary(null)).not.toContain('left in the inbox');

    // A transfer that stopped half-way long ago: refused, and its people asked for again. So too one whose time is
    // a day ahead (the file server's clock): no sign of a copy under way.
    for (const [i, age] of [ANSWER_SETTLE_MS + 60_000, -24 * 3_600_000].entries()) {
      const someone = { ...person, requestId: `010000001${i}`, soGiayTo: `01234560${i}` };
      const before = await files(f.outbox);
      await (await open()).verify([someone]);
      const sent = (await files(f.outbox)).find((n) => !before.includes(n))!;
      const half = path.join(f.inbox, answerFileFor(sent));
      await writeFile(half, (await answerTo(path.join(f.outbox, sent), [{ ...ANSWERED[0]!, requestId: someone.requestId }])).slice(0, 100));
      await ageFile(half, age);
      const stale = await open();
      expect(await stale.verify([someone])).toEqual([]);
      expect(stale.stats).toMatchObject({ refused: [answerFileFor(sent)], leftInInbox: [], resent: 1, requestFiles: 1 });
    }
  });

  it('says which folder failed, and how, when a request or share file cannot be written', async () => {
    const { db } = database();
    const f = await folders();
    const exchange = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
    // The outbox replaced by a file after the run started (a mount gone, a clean-up script): every write fails.
    await rm(f.outbox, { recursive: true });
    await writeFile(f.outbox, 'not a folder any more');
    await expect(exchange.verify([person])).rejects.toMatchObject({ code: 'ENOTDIR' });
    // Every share file fails, each under its own name: one line for them all, however many (a night's run writes hundreds).
    for (let i = 0; i < 3; i++) {
      await expect(exchange.share([{ requestId: '0100000001', maSoBhxh: '0100000001', soDdcn: '001090000001', vssid: true }])).rejects.toMatchObject({ code: 'ENOTDIR' });
    }
    expect(exchange.failureSummary()).toMatch(
      new RegExp(`^scandir ${escape(f.outbox)}: a part of the path is not a folder \\[ENOTDIR\\]; open ${escape(f.outbox)}/\\.ddcn-share-…\\.partial: a part of the path is not a folder \\[ENOTDIR\\] \\(3 times\\)$`),
    );
    expect(exchange.failureSummary()).not.toContain(person.soGiayTo);
    // An answer file the ddcn user cannot read (uploaded 0600 by the transfer's user) is named whole, to be fixed.
    const answer = path.join(f.inbox, 'ddcn-req-00000001-abcdef.answer.csv');
    const unreadable = Object.assign(new Error('EACCES'), { code: 'EACCES', syscall: 'open', path: answer });
    expect(() => (exchange as unknown as { noted(err: unknown): never }).noted(unreadable)).toThrow('EACCES');
    expect(exchange.failureSummary()).toContain(`; open ${answer}: permission denied`);
  });

  // A cause that stays (a transfer that re-encodes, a registry writing another format) refuses the answer to every
  // request, and the refused people are asked for again at once: they never wait long on one request, so the overdue
  // check never fired, and night after night the run exited 0 with its people PENDING for ever.
  it('fails the run when the answer to one of its requests is refused, and not for a stranger\'s file', async () => {
    const { db } = database();
    const f = await folders();
    const answerFile = await askedAndAnswered(db, f);
    // The answer altered on its way: it no longer fits its trailer's checksum.
    const text = await readFile(path.join(f.inbox, answerFile), 'utf8');
    await writeFile(path.join(f.inbox, answerFile), text.replace(/#ddcn;sha256=[0-9a-f]{64};/, `#ddcn;sha256=${'0'.repeat(64)};`));
    await writeFile(path.join(f.inbox, 'ghi-chu.csv'), 'a note someone left here\n');
    const next = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
    expect(await next.verify([person])).toEqual([]);
    expect(next.stats).toMatchObject({ refused: [answerFile, 'ghi-chu.csv'], resent: 1, requestFiles: 1 });
    expect(next.runFailure(null)).toBe(
      `the registry's answer to 1 request was refused (${answerFile}: checksum: checksum does not match the content: the file was altered or cut short): ` +
        `nothing in it was applied and the people are asked for again, but while the cause stays their next answers are refused too: ` +
        `fix what the reasons in ${path.join(f.inbox, 'refused')} say (docs/runbook.md, "The file exchange")`,
    );
    expect(next.runFailure(null)).not.toContain(person.hoTen);
    // A stranger's file alone (not an answer to a request of ours): said in the summary, no failure.
    await writeFile(path.join(f.inbox, 'ghi-chu-2.csv'), 'another note\n');
    const later = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
    await later.verify([]);
    expect(later.stats.refused).toEqual(['ghi-chu-2.csv']);
    expect(later.runFailure(null)).toBeNull();
  });

  it('tells who has waited past the due time for answers, from the database, whichever process sent them', async () => {
    const { db } = database();
    await importFixtures(db);
    const f = await folders();
    await run(db, f); // 328 people asked at FIXED_NOW
    const HOUR = 3_600_000;
    const at = async (ms: number) => FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK, answerDueMs: 48 * HOUR }, db, log, () => new Date(FIXED_NOW.getTime() + ms));
    const soon = await (await at(47 * HOUR)).waiting();
    expect([soon.people, soon.overdue]).toEqual([328, false]);
    const late = await at(49 * HOUR);
    const waiting = await late.waiting();
    expect([waiting.people, waiting.overdue, waiting.oldest!.createdAt]).toEqual([328, true, FIXED_NOW]);
    expect(late.overdueMessage(waiting)).toBe(
      `328 people have waited more than 48 h for the registry's answers (the oldest request, ${waiting.oldest!.file}, was written 2024-06-03 08:30:00 (UTC+7)): ` +
        `check that the registry side takes the request files from ${f.outbox} and puts its answers in ${f.inbox} (not in a subfolder); ` +
        'to send them again now, run once with DDCN_REGISTRY_RESEND_AFTER_HOURS=1 (docs/runbook.md, "The file exchange")',
    );
    // Past the resend delay they are no longer waited for: the next run sends them again.
    expect((await (await at(WEEK + 1)).waiting()).people).toBe(0);
    // The runbook's remedy: sent again at once (a resend delay of an hour). They wait on the new request, not the old.
    const resend = await FileExchangeRegistry.open({ ...f, resendAfterMs: HOUR }, db, log, () => new Date(FIXED_NOW.getTime() + 49 * HOUR));
    await runBatch(runDeps(db, resend, CONFIG), { province: null });
    const after = await (await at(51 * HOUR)).waiting();
    expect([after.people, after.overdue, after.oldest!.createdAt]).toEqual([328, false, new Date(FIXED_NOW.getTime() + 49 * HOUR)]);
    // A province's run counts that province's people only.
    expect((await (await at(51 * HOUR)).waiting('01')).people).toBeLessThan(328);
  });

  it('counts as asked for again only those whose last request had its answer refused', async () => {
    const { db } = database();
    const f = await folders();
    const open = () => FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
    const other = { ...person, requestId: '0100000002', soGiayTo: '012345679' };
    await (await open()).verify([person, other]); // request 1: both
    await (await open()).verify([{ ...other, hoTen: 'Nguyễn Văn Ân' }]); // request 2: the second, whose name changed
    const [first] = await files(f.outbox);
    await writeFile(path.join(f.inbox, first!.replace(/\.csv$/, '.answer.csv')), 'not an answer\n');
    await ageFile(path.join(f.inbox, first!.replace(/\.csv$/, '.answer.csv')), ANSWER_SETTLE_MS); // not one being copied
    const again = await open();
    await again.verify([person, { ...other, hoTen: 'Nguyễn Văn Ân' }]);
    // The first is asked for again; the second still waits for request 2, which nothing refused.
    expect(again.stats).toMatchObject({ refused: [first!.replace(/\.csv$/, '.answer.csv')], resent: 1, requested: 1, awaiting: 2 });
  });

  it('writes a share file named by the time, counts and logs it, and leaves files in the outbox that are not its own alone', async () => {
    const { db } = database();
    const f = await folders();
    const { lines, log: logger } = capturedLog('info');
    const exchange = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, logger, () => FIXED_NOW);
    // Someone else's files: not the dot files a crashed run leaves (".<name>.partial"), so not touched.
    await writeFile(path.join(f.outbox, 'notes.partial'), 'mine');
    await writeFile(path.join(f.outbox, '.keep.partial.old'), 'mine too');
    await writeFile(path.join(f.outbox, 'draft.v2.partial'), 'and mine'); // ends like ours, but no leading dot
    const records = [{ requestId: '0100000001', maSoBhxh: '0100000001', soDdcn: '001090000001', vssid: true }];
    expect(await exchange.share(records)).toEqual(['0100000001']);
    expect(await exchange.verify([])).toEqual([]);

    const shared = (await files(f.outbox)).filter((n) => n.startsWith('ddcn-share-'));
    expect(shared).toHaveLength(1);
    expect(shared[0]).toMatch(/^ddcn-share-20240603T013000000Z-[0-9a-f]{6}\.csv$/);
    expect(exchange.stats.shareFiles).toBe(1);
    expect(lines).toEqual([expect.objectContaining({ stage: 'registry', registry: 'file', file: shared[0], people: 1, msg: 'share file written to the outbox' })]);
    expect(await readFile(path.join(f.outbox, 'notes.partial'), 'utf8')).toBe('mine');
    expect(await readFile(path.join(f.outbox, '.keep.partial.old'), 'utf8')).toBe('mine too');
    expect(await readFile(path.join(f.outbox, 'draft.v2.partial'), 'utf8')).toBe('and mine');
  });

  it('after a crash, tells the operator which request file it put in place and which half-written one it set aside', async () => {
    const { db } = database();
    const f = await folders();
    const request = await crashLeftOutbox(db, f);

    const { lines, log: logger } = capturedLog('info');
    await (await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, logger, () => FIXED_NOW)).verify([]);
    expect(await readdir(f.outbox)).toEqual(['.ddcn-req-99999999-aaaaaa.csv.abandoned', request]);
    // Warnings, in the order of the file names.
    expect(lines.map((l) => [l.level, l.msg, l.file])).toEqual([
      [40, 'completed a request file that a crashed run had recorded but not put in place', request],
      [40, 'set aside a half-written file of a crashed run; its people are sent again', 'ddcn-req-99999999-aaaaaa.csv'],
    ]);
    // A set-aside file is removed once past the resend delay (nobody can want it then).
    await ageFile(path.join(f.outbox, '.ddcn-req-99999999-aaaaaa.csv.abandoned'), ABANDONED_KEPT_MS + 60_000);
    await (await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW)).verify([]);
    expect(await readdir(f.outbox)).toEqual([request]);
  });

  // Workers on several machines share the outbox: a dot file not recorded yet may be another process's write in
  // progress, between its write and its commit. Removing it lost that request (recorded, never delivered).
  it('leaves a young half-written file that is not recorded: another worker may be writing it', async () => {
    const { db } = database();
    const f = await folders();
    const personNo = (n: number) => ({ requestId: `010000000${n}`, hoTen: 'Nguyễn Văn An', ngaySinh: '1990-01-01', gioiTinh: 'M' as const, soGiayTo: `01234567${n}` });
    // A worker whose request file is written and whose commit waits until the other worker has started.
    let written!: () => void;
    const isWritten = new Promise<void>((resolve) => (written = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slowDb = {
      ...db,
      withTransaction: async (fn: (tx: Queryable) => Promise<unknown>) => {
        written();
        await released;
        return db.withTransaction(fn);
      },
    } as unknown as Db;
    const slow = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, slowDb, log, () => FIXED_NOW);
    const sending = slow.verify([personNo(1)]);
    await isWritten;
    expect((await readdir(f.outbox)).filter((n) => n.endsWith('.partial'))).toHaveLength(1);
    // The other worker starts: its first call recovers the outbox.
    await (await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW)).verify([personNo(2)]);
    release();
    await sending;
    const requests = await files(f.outbox);
    expect(requests).toHaveLength(2);
    expect(await readdir(f.outbox)).toEqual(requests);
  });

  it('puts a request file in place when its commit went through but the acknowledgement was lost', async () => {
    const { db } = database();
    const f = await folders();
    const lostAck = {
      ...db,
      withTransaction: async (fn: (tx: Queryable) => Promise<unknown>) => {
        await db.withTransaction(fn);
        throw new Error('Connection terminated unexpectedly');
      },
    } as unknown as Db;
    const exchange = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, lostAck, log, () => FIXED_NOW);
    await expect(exchange.verify([person])).resolves.toEqual([]);
    const [request] = await files(f.outbox);
    expect(await readdir(f.outbox)).toEqual([request]);
    expect(await rows(db, 'SELECT file_name FROM exchange_request')).toEqual([{ file_name: request }]);
  });

  /** The database as a worker sees it when the answer to its commit is lost, with `query` answered by `asked` first. */
  function lostAcknowledgement(db: Db, asked: (text: string) => Promise<unknown> | undefined): Db {
    return {
      ...db,
      query: (text: string, values?: unknown[]) => asked(text) ?? db.query(text, values),
      withTransaction: async (fn: (tx: Queryable) => Promise<unknown>) => {
        await db.withTransaction(fn);
        throw new Error('Connection terminated unexpectedly');
      },
    } as unknown as Db;
  }
  const somebody = { requestId: '0100000001', hoTen: 'Nguyễn Văn An', ngaySinh: '1990-01-01', gioiTinh: 'M' as const, soGiayTo: '012345678' };

  it('waits for a commit still under way before it decides what becomes of the request file', async () => {
    const { db } = database();
    const f = await folders();
    let asked = 0;
    // The server says the transaction is in progress the first two times it is asked.
    const slowCommit = lostAcknowledgement(db, (text) => (text.includes('pg_xact_status') && ++asked <= 2 ? Promise.resolve({ rows: [{ s: 'in progress' }] }) : undefined));
    await (await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, slowCommit, log, () => FIXED_NOW)).verify([somebody]);
    expect(asked).toBe(3);
    const [request] = await files(f.outbox);
    expect(await readdir(f.outbox)).toEqual([request]);
  });

  it('when it cannot tell whether its request was recorded, leaves the file and puts it in place on its next call', async () => {
    const { db } = database();
    const f = await folders();
    let away = true;
    const flaky = lostAcknowledgement(db, (text) => (away && text.includes('pg_xact_status') ? Promise.reject(new Error('database away')) : undefined));
    const exchange = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, flaky, log, () => FIXED_NOW);
    await expect(exchange.verify([somebody])).rejects.toThrow('Connection terminated');
    const [left] = await readdir(f.outbox);
    expect(left).toMatch(/^\.ddcn-req-00000001-[0-9a-f]{6}\.csv\.partial$/);
    away = false;
    // The same process, the database back: the recorded request's file is put in place; the person awaits its answer.
    await expect(exchange.verify([somebody])).resolves.toEqual([]);
    expect(await readdir(f.outbox)).toEqual([left!.slice(1, -'.partial'.length)]);
    expect(exchange.stats.awaiting).toBe(1);
  });

  it('tries its recovery again on the next call when the database was away for it', async () => {
    const { db } = database();
    const f = await folders();
    let away = true;
    const flaky = lostAcknowledgement(db, () => (away ? Promise.reject(new Error('database away')) : undefined));
    const exchange = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, flaky, log, () => FIXED_NOW);
    await writeFile(path.join(f.outbox, '.ddcn-req-99999999-aaaaaa.csv.partial'), 'half a fi');
    await expect(exchange.verify([])).rejects.toThrow('database away');
    away = false;
    await expect(exchange.verify([])).resolves.toEqual([]);
  });

  it('puts in place a recorded request file that another worker had set aside', async () => {
    const { db } = database();
    const f = await folders();
    await (await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW)).verify([somebody]);
    const [request] = await files(f.outbox);
    await rename(path.join(f.outbox, request!), path.join(f.outbox, `.${request}.abandoned`));
    await ageFile(path.join(f.outbox, `.${request}.abandoned`), ABANDONED_KEPT_MS + 60_000);
    await (await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW)).verify([]);
    expect(await readdir(f.outbox)).toEqual([request]);
  });

  it('two workers recovering the outbox at once both go on, and the files end as one would leave them', async () => {
    const { db } = database();
    const f = await folders();
    const request = await crashLeftOutbox(db, f);
    const workers = await Promise.all([1, 2].map(() => FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW)));
    await Promise.all(workers.map((w) => w.verify([])));
    expect(await readdir(f.outbox)).toEqual(['.ddcn-req-99999999-aaaaaa.csv.abandoned', request]);
  });

  it('reads an answer file of exactly the size bound (it is refused only for what it holds)', async () => {
    const { db } = database();
    const f = await folders();
    const exchange = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
    await mkdir(f.inbox, { recursive: true });
    // Not in our own form (that of a request never sent would be another database's, left unread).
    const name = 'ddcn-req-00000001-abcdef (1).answer.csv';
    await writeFile(path.join(f.inbox, name), 'x'.repeat(DEFAULT_MAX_ANSWER_BYTES));
    await ageFile(path.join(f.inbox, name), ANSWER_SETTLE_MS); // not one being copied
    await exchange.verify([]);
    expect(exchange.stats.refused).toEqual([name]);
    expect(await readFile(path.join(f.inbox, 'refused', `${name}.reason.txt`), 'utf8')).toMatch(/^refused \(checksum\): no trailer line/);
  });

  it('stops on a database failure while applying an answer, and leaves the answer file in the inbox for the next run', async () => {
    const { db } = database();
    const f = await folders();
    await (await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW)).verify([person]);
    const [request] = await files(f.outbox);
    const requestSha256 = (await parseExchangeFile(await readFile(path.join(f.outbox, request!), 'utf8'), REQUEST_COLUMNS)).trailer.sha256;
    const answerFile = answerFileFor(request!);
    await writeFile(path.join(f.inbox, answerFile), formatExchangeFile(ANSWER_COLUMNS, [answerRow({ requestId: '0100000001', matched: true, soDdcn: '001090000001', fields: [] })], { requestSha256 }).text);

    const lost = new Error('connection lost');
    const failing: Db = { ...db, withSession: (fn) => db.withSession((s) => fn({ ...s, withTransaction: () => Promise.reject(lost) })) };
    const broken = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, failing, log, () => FIXED_NOW);
    await expect(broken.verify([person])).rejects.toBe(lost);
    expect(await readdir(f.inbox)).toEqual([answerFile]); // not refused: nothing was wrong with the file

    const next = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
    expect(await next.verify([person])).toEqual([{ requestId: '0100000001', matched: true, soDdcn: '001090000001', fields: [] }]);
  });

  it('several workers taking answers out of one inbox at once: each file is applied or refused once, and every worker goes on', async () => {
    const { db } = database();
    const f = await folders();
    const answerFile = await askedAndAnswered(db, f);
    await writeFile(path.join(f.inbox, 'not-an-answer.csv'), 'nothing');
    const workers = await Promise.all([1, 2, 3].map(() => FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW)));
    // Before the inbox was taken one process at a time, two of the three failed here (ENOENT moving the file away).
    expect(await Promise.all(workers.map((w) => w.verify([person])))).toEqual([ANSWERED, ANSWERED, ANSWERED]);
    expect(await files(f.inbox)).toEqual([]);
    expect(await files(path.join(f.inbox, 'done'))).toEqual([answerFile]);
    expect(await files(path.join(f.inbox, 'refused'))).toEqual(['not-an-answer.csv', 'not-an-answer.csv.reason.txt']);
    expect(workers.reduce((n, w) => n + w.stats.ingested, 0)).toBe(1);
    expect(workers.flatMap((w) => w.stats.refused)).toEqual(['not-an-answer.csv']);
    expect(await inboxLocks(db)).toBe(0);
  });

  it('a first look waits while another process takes the files out of the inbox, then goes on', async () => {
    const { db } = database();
    const f = await folders();
    await askedAndAnswered(db, f);
    await db.withSession(async (other) => {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [INBOX_LOCK]);
      const exchange = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
      const asked = exchange.verify([person]);
      await sleep(300);
      expect(await files(f.inbox)).toHaveLength(1); // untouched while the other holds the inbox
      await other.query('SELECT pg_advisory_unlock($1::bigint)', [INBOX_LOCK]);
      expect(await asked).toEqual(ANSWERED);
    });
    expect(await inboxLocks(db)).toBe(0);
  });

  it('a worker that runs on looks at the inbox again once a minute has passed, without holding up its verify calls', async () => {
    const { db } = database();
    const f = await folders();
    // The looks at the inbox (the only sessions the exchange takes) wait while `held` is: a look under way stays so
    // for as long as the test needs, however fast or loaded the machine.
    let held: Promise<void> | null = null;
    const gated = { ...db, withSession: async <T>(fn: (s: Session) => Promise<T>) => { await held; return db.withSession(fn); } } as Db;
    const { exchange, clock } = await lookedOnce(gated, f);
    const answerFile = await askedAndAnswered(db, f);
    clock.ms += INBOX_LOOK_EVERY_MS - 1;
    expect(await exchange.verify([person])).toEqual([]); // asked and awaited: not sent again, the inbox not looked at
    expect(exchange.stats).toMatchObject({ awaiting: 1, ingested: 0, requestFiles: 0 });
    expect(await files(f.inbox)).toEqual([answerFile]);
    // Another process holds the inbox: the look due now leaves it to that one, and the call goes on meanwhile.
    await db.withSession(async (other) => {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [INBOX_LOCK]);
      clock.ms += 1;
      expect(await exchange.verify([person])).toEqual([]);
      await exchange.close(); // the look in the background has ended
      expect(await files(f.inbox)).toEqual([answerFile]);
      await other.query('SELECT pg_advisory_unlock($1::bigint)', [INBOX_LOCK]);
    });
    clock.ms += INBOX_LOOK_EVERY_MS - 1;
    await exchange.verify([]);
    await exchange.close();
    expect(await files(f.inbox)).toEqual([answerFile]); // a minute after that look, not before
    clock.ms += 1;
    let release!: () => void;
    held = new Promise<void>((resolve) => (release = resolve));
    expect(await exchange.verify([person])).toEqual([]); // the look starts; this call does not wait for it
    expect(await files(f.inbox)).toEqual([answerFile]);
    release();
    await exchange.close();
    expect(await files(path.join(f.inbox, 'done'))).toEqual([answerFile]);
    expect(await exchange.verify([person])).toEqual(ANSWERED);
    expect(exchange.stats).toMatchObject({ ingested: 1, answered: 1 });
    expect(await inboxLocks(db)).toBe(0);
  });

  it('looks at the inbox again at once when its clock was set back', async () => {
    const { db } = database();
    const f = await folders();
    const { exchange, clock } = await lookedOnce(db, f);
    await askedAndAnswered(db, f);
    clock.ms -= 1;
    await exchange.verify([]);
    await exchange.close();
    expect(await exchange.verify([person])).toEqual(ANSWERED);
  });

  it('a look again that fails is logged, fails no verify call, and is tried again a minute later', async () => {
    const { db } = database();
    const f = await folders();
    let away = false;
    const flaky: Db = { ...db, withSession: (fn) => (away ? Promise.reject(new Error('connection lost')) : db.withSession(fn)) };
    const logged = capturedLog('info');
    const { exchange, clock } = await lookedOnce(flaky, f, logged.log);
    const answerFile = await askedAndAnswered(db, f);
    away = true;
    clock.ms += INBOX_LOOK_EVERY_MS;
    expect(await exchange.verify([person])).toEqual([]);
    await exchange.close();
    expect(logged.lines.filter((l) => l.msg === 'could not look at the inbox again; trying again in a minute')).toHaveLength(1);
    away = false;
    expect(await exchange.verify([person])).toEqual([]); // not tried again at once
    await exchange.close();
    expect(await files(f.inbox)).toEqual([answerFile]);
    clock.ms += INBOX_LOOK_EVERY_MS;
    await exchange.verify([]);
    await exchange.close();
    expect(await exchange.verify([person])).toEqual(ANSWERED);
  });
});

/** The person and another, each asked for in a request file of their own: the two files, in name order. */
async function twoRequests(db: Parameters<typeof FileExchangeRegistry.open>[1], f: { outbox: string; inbox: string }) {
  const open = () => FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
  const other = { ...person, requestId: '0100000002', soGiayTo: '012345679' };
  await (await open()).verify([person]);
  await (await open()).verify([other]);
  const [one, two] = (await files(f.outbox)).sort();
  return { open, other, one: one!, two: two! };
}
