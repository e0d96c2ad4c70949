// The registry over files: request files with our ids and a checksum go to the outbox; answer files from the
// inbox are checked and applied on a later run, or refused and moved aside with the reason.
import { mkdir, readdir, readFile, rename, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryDirectory } from '../../src/adapters/directory.js';
import { FileExchangeRegistry, STALE_PARTIAL_MS } from '../../src/adapters/file-exchange.js';
import { ANSWER_COLUMNS, formatExchangeFile, parseExchangeFile, REQUEST_COLUMNS, SHARE_COLUMNS } from '../../src/adapters/file-exchange-format.js';
import { MockRegistry } from '../../src/adapters/mock.js';
import type { Db } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import { answerRequestFiles } from '../../src/registry-server/answer-files.js';
import { createTestDatabase } from '../helpers/db.js';
import {
  databasePerFile, deps, exportedResults, FIXED_NOW, rows, runDeps, useTempDir, writeParticipants, writeRegistry,
  type ParticipantInput,
} from '../helpers/pipeline.js';
import { ddcn, endState, FIXTURE_REGISTRY, importFixtures } from './http-harness.js';

const database = databasePerFile();
const log = createLogger('silent');
const CONFIG = { chunkSize: 100, batchSize: 50, concurrency: 2 };
const WEEK = 7 * 24 * 3_600_000;

let reference: Awaited<ReturnType<typeof endState>>;
let registry: MockRegistry;

beforeAll(async () => {
  registry = new MockRegistry(await memoryDirectory(FIXTURE_REGISTRY));
  const t = await createTestDatabase();
  try {
    await importFixtures(t.db);
    await runBatch(runDeps(t.db, registry, CONFIG), { province: null });
    reference = await endState(t.db);
  } finally {
    await t.drop();
  }
});

async function folders() {
  const dir = await useTempDir();
  return { outbox: path.join(dir, 'outbox'), inbox: path.join(dir, 'inbox'), dir };
}

async function run(db: Db, f: { outbox: string; inbox: string }, now = FIXED_NOW) {
  const exchange = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => now);
  const result = await runBatch(runDeps(db, exchange, CONFIG), { province: null });
  return { result, exchange };
}

const files = async (dir: string) => (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
const answer = (f: { outbox: string; inbox: string }, reg = registry) => answerRequestFiles({ registry: reg, ...f, log });

describe('file exchange', () => {
  it('writes request files with our ids and a checksum, keeps people PENDING meanwhile, sends nobody twice, then applies the answers', async () => {
    const { db } = database();
    await importFixtures(db);
    const f = await folders();

    const first = await run(db, f);
    expect(first.result.counts).toMatchObject({ read: 335, missing: 7, pending: 328, errors: 0 });
    const requests = await files(f.outbox);
    expect(requests.length).toBe(7); // 4 chunks of up to 100, each sent in requests of up to 50
    const ids: string[] = [];
    for (const name of requests) {
      expect(name).toMatch(/^ddcn-req-\d{8}-[0-9a-f]{6}\.csv$/);
      const parsed = await parseExchangeFile(await readFile(path.join(f.outbox, name), 'utf8'), REQUEST_COLUMNS);
      ids.push(...parsed.rows.map((r) => r.request_id!));
    }
    const pending = await rows<{ ma_so_bhxh: string }>(db, `SELECT ma_so_bhxh FROM participant WHERE status = 'PENDING' ORDER BY 1`);
    expect(ids.sort()).toEqual(pending.map((p) => p.ma_so_bhxh));

    // No answers yet: the next run sends nobody again.
    const second = await run(db, f);
    expect(second.result.counts).toMatchObject({ read: 328, pending: 328, errors: 0 });
    expect(second.exchange.stats).toMatchObject({ requestFiles: 0, awaiting: 328 });
    expect(await files(f.outbox)).toEqual(requests);

    expect(await answer(f)).toMatchObject({ requests: 7, people: 328 });
    const third = await run(db, f);
    expect(third.exchange.stats).toMatchObject({ ingested: 7, refused: [], requestFiles: 0 });
    expect(third.result.counts).toMatchObject({ pending: 0, matched: 291 });
    const state = await endState(db);
    expect(state.results).toBe(reference.results);
    expect(state.history).toEqual(reference.history);
    expect(state.shares).toEqual(reference.shares);
    expect(await files(path.join(f.inbox, 'done'))).toHaveLength(7);
    // I.4 over files: the matched people's insurance information, in share files of up to a batch each.
    const shareFiles = (await files(f.outbox)).filter((n) => n.startsWith('ddcn-share-'));
    const shared = await Promise.all(shareFiles.map(async (n) => (await parseExchangeFile(await readFile(path.join(f.outbox, n), 'utf8'), SHARE_COLUMNS)).rows));
    expect(shared.flat().map((r) => `${r.ma_so_bhxh},${r.so_ddcn}`).sort()).toEqual(reference.shares.map((r) => `${r.ma_so_bhxh},${r.so_ddcn}`));

    expect((await run(db, f)).result.batchId).toBeNull();
  });

  it('refuses answer files whose checksum, ids or request do not fit, moves them aside with the reason, and applies nothing from them', async () => {
    const { db } = database();
    await importFixtures(db);
    const f = await folders();
    await run(db, f);
    await answer(f);
    const answers = await files(f.inbox);
    const keep = path.join(f.dir, 'pristine');
    await mkdir(keep);
    const text = async (n: string) => readFile(path.join(f.inbox, n), 'utf8');
    for (const n of answers.slice(0, 3)) await writeFile(path.join(keep, n), await text(n));

    // 0: one character changed; 1: an extra answer for someone not asked, with a checksum that fits;
    // 2: one answer left out; then a file that is not an answer, and an answer to a request we never sent (another
    // database's, left in the inbox for it).
    const [a, b, c] = answers as [string, string, string];
    await writeFile(path.join(f.inbox, a), (await text(a)).replace(',true,', ',fals,'));
    const rowsOf = async (n: string) => {
      const p = await parseExchangeFile(await text(n), ANSWER_COLUMNS);
      return { rows: p.rows.map((r) => ANSWER_COLUMNS.map((k) => r[k]!)), requestSha256: p.trailer.request_sha256! };
    };
    const rb = await rowsOf(b);
    await writeFile(path.join(f.inbox, b), formatExchangeFile(ANSWER_COLUMNS, [...rb.rows, ['0999999999', 'false', '', 'id_number', '', '', '']], rb).text);
    const rc = await rowsOf(c);
    await writeFile(path.join(f.inbox, c), formatExchangeFile(ANSWER_COLUMNS, rc.rows.slice(1), rc).text);
    await writeFile(path.join(f.inbox, 'notes.txt'), 'hello\n');
    await writeFile(path.join(f.inbox, 'ddcn-req-99999999-abcdef.answer.csv'), await readFile(path.join(keep, a), 'utf8'));
    // Files the registry is still writing (a leading dot, .partial, .tmp) are left where they are: not refused.
    const writing = ['.ddcn-req-1.answer.csv', 'ddcn-req-2.answer.csv.partial', 'ddcn-req-3.answer.csv.tmp'];
    for (const n of writing) await writeFile(path.join(f.inbox, n), 'half written');

    const second = await run(db, f);
    expect(second.exchange.stats.ingested).toBe(answers.length - 3);
    expect(second.exchange.stats.refused.sort()).toEqual([a, b, c, 'notes.txt'].sort());
    const refused = path.join(f.inbox, 'refused');
    expect(await readFile(path.join(refused, `${a}.reason.txt`), 'utf8')).toMatch(/^refused \(checksum\)/);
    expect(await readFile(path.join(refused, `${b}.reason.txt`), 'utf8')).toMatch(/^refused \(ids\).*unknown_id/);
    expect(await readFile(path.join(refused, `${c}.reason.txt`), 'utf8')).toMatch(/^refused \(ids\).*missing_id/);
    expect(await readFile(path.join(f.inbox, 'ddcn-req-99999999-abcdef.answer.csv'), 'utf8')).toBe(await readFile(path.join(keep, a), 'utf8'));
    expect(second.exchange.runFailure(null)).toContain(
      `1 answer file in ${f.inbox} answers a request this database never sent (ddcn-req-99999999-abcdef.answer.csv): another ddcn database`,
    );
    expect(await readFile(path.join(refused, 'notes.txt.reason.txt'), 'utf8')).toMatch(/^refused \(request\): not an answer file: /);
    for (const n of writing) expect(await readFile(path.join(f.inbox, n), 'utf8')).toBe('half written');
    // The people of the three refused answers are still PENDING, and asked for again in the same run: the registry
    // believes it answered them. Nobody else is.
    const held = (await Promise.all([a, b, c].map(async (n) => (await parseExchangeFile(await readFile(path.join(keep, n), 'utf8'), ANSWER_COLUMNS)).rows.length)))
      .reduce((x, y) => x + y, 0);
    expect(second.result.counts.pending).toBe(held);
    expect(second.exchange.stats).toMatchObject({ resent: held, requested: held });

    // The registry answers those requests; the first answers, sent again late as they should have been, no longer count.
    await answer(f);
    for (const n of [a, b, c]) await writeFile(path.join(f.inbox, n), await readFile(path.join(keep, n), 'utf8'));
    const third = await run(db, f);
    expect(third.exchange.stats).toMatchObject({ ingested: second.exchange.stats.requestFiles, resent: 0, requestFiles: 0 });
    expect(third.exchange.stats.refused.sort()).toEqual([a, b, c].sort());
    expect((await endState(db)).results).toBe(reference.results);
  });

  it('sends a person again when their data changed while asked, and does not apply the old answer to the new data', async () => {
    const { db } = database();
    const f = await folders();
    const person = (name: string): ParticipantInput => ({
      ma_so_bhxh: '0100000001', ho_ten: name, ngay_sinh: '05/03/1990', gioi_tinh: 'Nam', so_giay_to: '012345678', ma_don_vi: 'TA0001A', ma_tinh: '01',
    });
    const reg = new MockRegistry(await memoryDirectory(await writeRegistry(f.dir, [
      { so_ddcn: '001090000001', so_cmnd: '012345678', ho_ten: 'Trần Văn Mới', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam' },
    ])));
    await importParticipants(deps(db), await writeParticipants(f.dir, [person('Trần Văn Cũ')], 'old.csv'));
    await run(db, f);
    await importParticipants(deps(db), await writeParticipants(f.dir, [person('Trần Văn Mới')], 'new.csv'));
    const second = await run(db, f);
    expect(second.exchange.stats.requestFiles).toBe(1); // the changed data goes out again at once

    await answer(f, reg); // both requests are answered: the first says the (old) name differs
    const third = await run(db, f);
    expect(third.exchange.stats.ingested).toBe(2);
    expect((await exportedResults(deps(db), f.dir)).rows.get('0100000001')).toMatchObject({ status: 'MATCHED', so_ddcn: '001090000001' });
  });

  it('keeps a matched person on their outcome while their new data waits for its answer, counted as waiting', async () => {
    const { db } = database();
    const f = await folders();
    const person = (name: string): ParticipantInput => ({
      ma_so_bhxh: '0100000001', ho_ten: name, ngay_sinh: '05/03/1990', gioi_tinh: 'Nam', so_giay_to: '012345678', ma_don_vi: 'TA0001A', ma_tinh: '01',
    });
    const reg = new MockRegistry(await memoryDirectory(await writeRegistry(f.dir, [
      { so_ddcn: '001090000001', so_cmnd: '012345678', ho_ten: 'Trần Văn An', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam' },
    ])));
    await importParticipants(deps(db), await writeParticipants(f.dir, [person('Trần Văn An')], 'first.csv'));
    await run(db, f);
    await answer(f, reg);
    await run(db, f);
    const matched = { status: 'MATCHED', so_ddcn: '001090000001' };
    expect((await exportedResults(deps(db), f.dir)).rows.get('0100000001')).toMatchObject(matched);
    // The name written in capitals by the next export: asked again, and MATCHED still while the answer is due.
    await importParticipants(deps(db), await writeParticipants(f.dir, [person('TRẦN VĂN AN')], 'capitals.csv'));
    const asked = await run(db, f);
    expect([asked.result.counts.pending, asked.exchange.stats.requestFiles]).toEqual([1, 1]);
    expect((await exportedResults(deps(db), f.dir)).rows.get('0100000001')).toMatchObject(matched);
    expect((await asked.exchange.waiting()).people).toBe(1);
    // Told as what she is meanwhile: not PENDING.
    expect(asked.exchange.summary(await asked.exchange.waiting())).toMatch(
      /· 1 person awaits answers in .* \(the oldest request, .*\): keeping their last outcome \(verified before\) until a later run ingests them$/,
    );
    await answer(f, reg);
    const answered = await run(db, f);
    expect(answered.result.counts).toMatchObject({ matched: 1, pending: 0 });
    expect((await answered.exchange.waiting()).people).toBe(0);
    expect(await rows(db, `SELECT status, verified_version = data_version AS verified FROM participant`)).toEqual([{ status: 'MATCHED', verified: true }]);
  });

  it('sends again a request left unanswered for longer than the resend delay', async () => {
    const { db } = database();
    await importFixtures(db);
    const f = await folders();
    await run(db, f);
    const later = await run(db, f, new Date(FIXED_NOW.getTime() + WEEK + 1));
    expect(later.exchange.stats).toMatchObject({ requestFiles: 7, requested: 328 });
  });

  it('after a crash, puts in place a request file the database recorded and removes one it did not', async () => {
    const { db } = database();
    await importFixtures(db);
    const f = await folders();
    // A database that fails to record: the request file never appears, and the people stay PENDING with the error.
    const broken = await FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, { ...db, withTransaction: () => Promise.reject(new Error('connection lost')) }, log, () => FIXED_NOW);
    const failed = await runBatch(runDeps(db, broken, CONFIG), { province: null });
    expect(failed.counts).toMatchObject({ pending: 328, errors: 328 });
    expect(await readdir(f.outbox)).toEqual([]);

    await run(db, f);
    const [first, ...rest] = await files(f.outbox);
    // Died after recording `first` but before renaming it; and a run that died before recording left a partial file.
    await rename(path.join(f.outbox, first!), path.join(f.outbox, `.${first}.partial`));
    await writeFile(path.join(f.outbox, '.ddcn-req-99999999-aaaaaa.csv.partial'), 'half a fi');
    const hourAgo = (Date.now() - STALE_PARTIAL_MS - 60_000) / 1000;
    await utimes(path.join(f.outbox, '.ddcn-req-99999999-aaaaaa.csv.partial'), hourAgo, hourAgo);
    const again = await run(db, f);
    expect(again.exchange.stats.requestFiles).toBe(0);
    expect(await readdir(f.outbox).then((n) => n.sort())).toEqual(['.ddcn-req-99999999-aaaaaa.csv.abandoned', first, ...rest].sort());
  });

  it('works from the command line: run, `ddcn registry answer`, run', async () => {
    const { db, url } = database();
    await importFixtures(db);
    const f = await folders();
    const env = { DATABASE_URL: url };
    const args = ['run', '--registry', 'file', '--outbox', f.outbox, '--inbox', f.inbox, '--batch-size', '100'];
    const first = await ddcn(args, env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(
      /4 request files written to .*outbox for 328 people · 328 people await answers in .*inbox \(the oldest request, ddcn-req-\d{8}-[0-9a-f]{6}\.csv, written [-\d: ]+ \(UTC\+7\)\): PENDING until a later run ingests them\n/,
    );
    // The first night makes the folders, and says so (a mistyped path later would make them too).
    expect(first.stderr).toContain(`\ncreated the outbox ${f.outbox} and the inbox ${f.inbox}, which did not exist: if that is not the first night, check the path\n`);
    // The batch is done; its PENDING people wait for answers, as batch status says (and --json gives).
    const status = await ddcn(['batch', 'status'], env);
    expect(status.stdout).toMatch(/\nfile exchange: 328 people await the registry's answers \(the oldest request, ddcn-req-\d{8}-[0-9a-f]{6}\.csv, written [-\d: ]+ \(UTC\+7\)\)\n/);
    expect(JSON.parse((await ddcn(['batch', 'status', '--json'], env)).stdout).awaiting).toMatchObject({ people: 328, overdue: false });
    expect(status.stdout).not.toContain('overdue');
    // Three days on, nothing answered (the transfer stopped): the night's run fails, saying who waits since when.
    await db.query(`UPDATE exchange_request SET created_at = created_at - interval '3 days'`);
    const stuck = await ddcn(args, env);
    expect(stuck.code, stuck.stderr).toBe(1);
    expect(stuck.stderr).toMatch(/\nddcn: 328 people have waited more than 48 h for the registry's answers \(the oldest request, ddcn-req-\d{8}-[0-9a-f]{6}\.csv, was written /);
    expect(stuck.stderr).toContain('0 request files written for 0 people');
    // batch status, looked at while the answers are overdue, says so as the run does.
    const late = await ddcn(['batch', 'status'], env);
    expect(late.stdout).toMatch(/\nfile exchange: 328 people await the registry's answers \(the oldest request, .*\): more than 48 h, overdue: check that /);
    expect(JSON.parse((await ddcn(['batch', 'status', '--json'], env)).stdout).awaiting).toMatchObject({ people: 328, overdue: true, dueHours: 48 });
    const answered = await ddcn(['registry', 'answer', '--data', FIXTURE_REGISTRY, '--outbox', f.outbox, '--inbox', f.inbox], env);
    expect(answered.code, answered.stderr).toBe(0);
    expect(answered.stderr).toContain('answered 4 request files (328 people)');
    const second = await ddcn(args, env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/file exchange: 4 answer files ingested · 0 refused/);
    expect(second.stderr).not.toContain('await answers');
    expect(second.stderr).not.toContain('which did not exist');
    expect((await endState(db)).results).toBe(reference.results);
  });

  // A staging copy of production pointed at the same folders: the same people, so requests byte for byte alike.
  it('two databases on one pair of folders: each takes its own answers, leaves the other\'s, and its run fails saying so', async () => {
    const { db, url } = database();
    const staging = await createTestDatabase();
    try {
      await importFixtures(db);
      await importFixtures(staging.db);
      const f = await folders();
      const args = ['run', '--registry', 'file', '--outbox', f.outbox, '--inbox', f.inbox, '--batch-size', '100'];
      const production = { DATABASE_URL: url };
      expect((await ddcn(args, production)).code).toBe(0);
      expect((await ddcn(args, { DATABASE_URL: staging.url })).code).toBe(0);
      expect((await ddcn(['registry', 'answer', '--data', FIXTURE_REGISTRY, '--outbox', f.outbox, '--inbox', f.inbox], production)).stderr)
        .toContain('answered 8 request files (656 people)');
      const night = await ddcn(args, production);
      expect(night.code, night.stderr).toBe(1);
      expect(night.stderr).toMatch(/file exchange: 4 answer files ingested · 0 refused · 4 left in the inbox for another database \(answers to requests this database never sent\)/);
      expect(night.stderr).toContain(`ddcn: 4 answer files in ${f.inbox} answer requests this database never sent (`);
      expect(night.stderr).toContain('another ddcn database (a test or staging copy) uses these folders, and they are left in the inbox for it');
      expect((await endState(db)).results).toBe(reference.results);
      // The staging copy still finds its own answers there, and nothing of the other's is left.
      const theirs = await ddcn(args, { DATABASE_URL: staging.url });
      expect(theirs.code, theirs.stderr).toBe(0);
      expect(theirs.stderr).toMatch(/file exchange: 4 answer files ingested · 0 refused/);
      expect((await endState(staging.db)).results).toBe(reference.results);
      expect(await files(f.inbox)).toEqual([]);
    } finally {
      await staging.drop();
    }
  });
});
