// An answer file the user ddcn runs as may not read (the transfer's user uploaded it 0600): it must not stop the
// exchange. The other answers are applied, new people are asked, the file is left in the inbox, and the run is told
// which file and why. Run as root, the tests cannot make a file unreadable: the file system's refusal is stood in for.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { FileExchangeRegistry, INBOX_LOOK_EVERY_MS } from '../../src/adapters/file-exchange.js';
import { ANSWER_COLUMNS, answerFileFor, answerRow, formatExchangeFile, parseExchangeFile, REQUEST_COLUMNS } from '../../src/adapters/file-exchange-format.js';
import { createLogger } from '../../src/log.js';
import { databasePerFile, FIXED_NOW, useTempDir } from '../helpers/pipeline.js';

/** Files whose opening for reading is refused as EACCES, as Node refuses it (syscall open, the path). */
const locked = vi.hoisted(() => new Set<string>());
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const readFile = (async (file: Parameters<typeof fs.readFile>[0], ...rest: unknown[]) => {
    if (typeof file === 'string' && locked.has(file)) {
      throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES', errno: -13, syscall: 'open', path: file });
    }
    return (fs.readFile as (...a: unknown[]) => Promise<unknown>)(file, ...rest);
  }) as typeof fs.readFile;
  return { ...fs, readFile, default: { ...fs, readFile } };
});

const database = databasePerFile();
const log = createLogger('silent');
const WEEK = 7 * 24 * 3_600_000;
const person = { requestId: '0100000001', hoTen: 'Nguyễn Văn An', ngaySinh: '1990-01-01', gioiTinh: 'M' as const, soGiayTo: '012345678' };
const other = { ...person, requestId: '0100000002', soGiayTo: '012345679' };
const newcomer = { ...person, requestId: '0100000003', soGiayTo: '012345670' };
const answerOf = (p: typeof person) => ({ requestId: p.requestId, matched: true, soDdcn: `00109000000${p.requestId.slice(-1)}`, fields: [] });

describe('an answer file that cannot be read', () => {
  it('is left in the inbox and named, while the other answers are applied and new people asked', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const f = { outbox: path.join(dir, 'outbox'), inbox: path.join(dir, 'inbox') };
    await Promise.all([mkdir(f.outbox), mkdir(f.inbox)]);
    const open = () => FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
    await (await open()).verify([person]);
    await (await open()).verify([other]);
    const requests = (await readdir(f.outbox)).sort();
    for (const [i, p] of [person, other].entries()) {
      const request = requests[i]!;
      const requestSha256 = (await parseExchangeFile(await readFile(path.join(f.outbox, request), 'utf8'), REQUEST_COLUMNS)).trailer.sha256;
      await writeFile(path.join(f.inbox, answerFileFor(request)), formatExchangeFile(ANSWER_COLUMNS, [answerRow(answerOf(p))], { requestSha256 }).text);
    }
    const lockedFile = path.join(f.inbox, answerFileFor(requests[0]!));
    locked.add(lockedFile);

    const next = await open();
    expect(await next.verify([person, other, newcomer])).toEqual([answerOf(other)]);
    expect(next.stats).toMatchObject({ ingested: 1, refused: [], requestFiles: 1, requested: 1 });
    expect((await readdir(f.inbox)).sort()).toEqual([answerFileFor(requests[0]!), 'done']);
    expect(next.unreadableMessage()).toBe(
      `cannot read 1 answer file in ${f.inbox} (${answerFileFor(requests[0]!)}: permission denied (check the permissions of the file and its folders) [EACCES]): ` +
        `let the user ddcn runs as read them (the transfer's umask or group); the other answers were applied, and the next run reads these`,
    );

    // Its permissions fixed: the next run applies it.
    locked.delete(lockedFile);
    const fixed = await open();
    expect(await fixed.verify([person])).toEqual([answerOf(person)]);
    expect(fixed.unreadableMessage()).toBeNull();
  });

  // A worker or a run that looks again (the operator fixed the permissions meanwhile): the file applied at a later look
  // is no longer said to be unreadable, as a file left while being copied is no longer said to be left (ffc8759).
  it('is no longer named once a later look of the same process has read it', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const { f, answer } = await unreadableAnswer(db, dir);
    const clock = { ms: FIXED_NOW.getTime() };
    const running = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => new Date(clock.ms));
    expect(await running.verify([])).toEqual([]);
    expect(running.unreadableMessage()).not.toBeNull();
    locked.delete(answer);
    clock.ms += INBOX_LOOK_EVERY_MS;
    await running.verify([]);
    await running.close();
    expect(await running.verify([person])).toEqual([answerOf(person)]);
    expect(running.stats.ingested).toBe(1);
    expect(running.unreadableMessage()).toBeNull();
  });

  // The answer to the oldest request, unreadable for two nights: the run's failure names the file, not only the
  // people overdue (which sends the operator to check that the registry takes the requests, and to ask again).
  it('is named with the people overdue, when they are', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const { f, request, answer } = await unreadableAnswer(db, dir);
    const later = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => new Date(FIXED_NOW.getTime() + 50 * 3_600_000));
    expect(await later.verify([person])).toEqual([]);
    // As waiting() has it for the people of that request, 50 h on (they are not participants of this test's database).
    const waiting = { people: 1, oldest: { file: request, createdAt: FIXED_NOW }, overdue: true };
    const failure = later.runFailure(waiting)!;
    expect(failure).toContain(`cannot read 1 answer file in ${f.inbox} (${answerFileFor(request)}: permission denied`);
    expect(failure).toContain("1 people have waited more than 48 h for the registry's answers");
    expect(later.runFailure({ ...waiting, overdue: false })).toBe(later.unreadableMessage());
    locked.delete(answer);
  });

  it('is no longer named once the operator has taken it out of the inbox', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const f = { outbox: path.join(dir, 'outbox'), inbox: path.join(dir, 'inbox') };
    await Promise.all([mkdir(f.outbox), mkdir(f.inbox)]);
    // Renamed on its way, so read for its trailer (one in our own form for a request never sent would be another
    // database's answer, left unread).
    const unreadable = path.join(f.inbox, 'ddcn-req-00000009-abcdef (1).answer.csv');
    await writeFile(unreadable, 'x\n');
    await writeFile(path.join(f.inbox, 'other.txt'), 'x\n'); // keeps the inbox from being empty, refused at each look
    locked.add(unreadable);
    const clock = { ms: FIXED_NOW.getTime() };
    const running = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => new Date(clock.ms));
    await running.verify([]);
    expect(running.unreadableMessage()).not.toBeNull();
    await rm(unreadable);
    await writeFile(path.join(f.inbox, 'another.txt'), 'x\n');
    clock.ms += INBOX_LOOK_EVERY_MS;
    await running.verify([]);
    await running.close();
    expect(running.stats.refused).toEqual(['other.txt', 'another.txt']);
    expect(running.unreadableMessage()).toBeNull();
  });
});

/** The person's request written under `dir`, and its answer in the inbox, which this process may not read. */
async function unreadableAnswer(db: Parameters<typeof FileExchangeRegistry.open>[1], dir: string) {
  const f = { outbox: path.join(dir, 'outbox'), inbox: path.join(dir, 'inbox') };
  await Promise.all([mkdir(f.outbox), mkdir(f.inbox)]);
  await (await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW)).verify([person]);
  const [request] = await readdir(f.outbox);
  const requestSha256 = (await parseExchangeFile(await readFile(path.join(f.outbox, request!), 'utf8'), REQUEST_COLUMNS)).trailer.sha256;
  const answer = path.join(f.inbox, answerFileFor(request!));
  await writeFile(answer, formatExchangeFile(ANSWER_COLUMNS, [answerRow(answerOf(person))], { requestSha256 }).text);
  locked.add(answer);
  return { f, request: request!, answer };
}
