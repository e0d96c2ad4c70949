// An inbox ddcn may read but not write (mounted read-only, a folder of the transfer's user, a full disk): each answer
// is applied, or refused, and left in place, the run says so at its end, and the next run, the inbox writable again,
// moves it and applies nothing twice. Thrown, the failure stopped every run before it asked anyone new. Run as root,
// the tests cannot make a folder read-only to themselves: the file system's refusal of the move is stood in for.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { FileExchangeRegistry } from '../../src/adapters/file-exchange.js';
import { ANSWER_COLUMNS, answerFileFor, answerRow, formatExchangeFile, parseExchangeFile, REQUEST_COLUMNS } from '../../src/adapters/file-exchange-format.js';
import { createLogger } from '../../src/log.js';
import { databasePerFile, FIXED_NOW, rows, useTempDir } from '../helpers/pipeline.js';

/** Folders whose files cannot be renamed, as a read-only file system refuses it. */
const readOnly = vi.hoisted(() => new Set<string>());
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const rename = (async (from: string, to: string) => {
    if (readOnly.has(path.dirname(String(from)))) {
      throw Object.assign(new Error(`EROFS: read-only file system, rename '${from}' -> '${to}'`), { code: 'EROFS', errno: -30, syscall: 'rename', path: from });
    }
    return fs.rename(from, to);
  }) as typeof fs.rename;
  return { ...fs, rename, default: { ...fs, rename } };
});

const database = databasePerFile();
const log = createLogger('silent');
const WEEK = 7 * 24 * 3_600_000;
const person = { requestId: '0100000001', hoTen: 'Nguyễn Văn An', ngaySinh: '1990-01-01', gioiTinh: 'M' as const, soGiayTo: '012345678' };
const newcomer = { ...person, requestId: '0100000003', soGiayTo: '012345670' };
const answer = { requestId: person.requestId, matched: true, soDdcn: '001090000001', fields: [] };

describe('an inbox whose files cannot be moved', () => {
  it('applies the answer, leaves it in place, asks new people, says so at the end; the next run moves it and applies nothing twice', async () => {
    const { db } = database();
    const dir = await useTempDir();
    const f = { outbox: path.join(dir, 'outbox'), inbox: path.join(dir, 'inbox') };
    await Promise.all([mkdir(f.outbox), mkdir(f.inbox)]);
    const open = () => FileExchangeRegistry.open({ ...f, resendAfterMs: WEEK }, db, log, () => FIXED_NOW);
    await (await open()).verify([person]);
    const [request] = await readdir(f.outbox);
    const requestSha256 = (await parseExchangeFile(await readFile(path.join(f.outbox, request!), 'utf8'), REQUEST_COLUMNS)).trailer.sha256;
    const answerFile = answerFileFor(request!);
    await writeFile(path.join(f.inbox, answerFile), formatExchangeFile(ANSWER_COLUMNS, [answerRow(answer)], { requestSha256 }).text);
    await writeFile(path.join(f.inbox, 'notes.txt'), 'not an answer'); // refused, and left too

    readOnly.add(f.inbox);
    const next = await open();
    expect(await next.verify([person, newcomer])).toEqual([answer]);
    expect(next.stats).toMatchObject({ ingested: 1, requestFiles: 1, requested: 1 });
    expect((await readdir(f.inbox)).filter((n) => !n.startsWith('.')).sort()).toEqual([answerFile, 'done', 'notes.txt', 'refused'].sort());
    const failure = next.runFailure(null)!;
    expect(failure).toContain(`cannot move 2 answer files out of ${f.inbox} (${answerFile} into done/: `);
    expect(failure).toContain('notes.txt into refused/: ');
    expect(failure).toContain('[EROFS]');
    expect(failure).not.toContain(person.hoTen);

    readOnly.delete(f.inbox);
    const later = await open();
    expect(await later.verify([person])).toEqual([answer]);
    expect(later.runFailure(null)).toBeNull();
    expect(await readdir(path.join(f.inbox, 'done'))).toEqual([answerFile]);
    // Answered once, at the first run; the newcomer's request still out.
    expect(await rows(db, `SELECT state, answered_at = $1::timestamptz AS once FROM exchange_request ORDER BY id`, [FIXED_NOW])).toEqual([
      { state: 'answered', once: true },
      { state: 'outstanding', once: null },
    ]);
  });
});
