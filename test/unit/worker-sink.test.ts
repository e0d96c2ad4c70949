// List files written by worker threads (`ddcn lists` with many units; the portal's shared pool), driven from this
// thread: a file sent in several messages, files given up on, a thread that dies, a pool that is closed.
// The files are read back as a clerk's Excel would (exceljs's whole-file reader).
import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import { getPriority } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { tempDirPerFile } from '../helpers/temp-dir.js';
import { failureReason, InlineSink } from '../../src/reports/list-sink.js';
import type { FormKind, ListFileSpec, ListRow } from '../../src/reports/list-row.js';
import type { ProgressReport } from '../../src/reports/mau03.js';
import { ListWorkerPool, WorkerSink } from '../../src/reports/worker-sink.js';
import type { Worker } from 'node:worker_threads';

const dir = tempDirPerFile('ddcn-worker-sink-');

const UNIT = { maTinh: '079', maHuyen: null, maDonVi: 'DV0790001', tenDonVi: 'Công ty TNHH Sao Mai', diaChi: 'Số 12 Nguyễn Huệ, Quận 1' };
const spec = (name: string, form: FormKind = 'mau01'): ListFileSpec => ({ path: path.join(dir, name), form, unit: UNIT, issuedAt: '2024-06-03T01:30:00.000Z' });
const person = (i: number): ListRow => ({
  maSoBhxh: `079${String(i).padStart(7, '0')}`, hoTen: `Nguyễn Văn ${i}`, ngaySinh: '1990-03-05', gioiTinh: 'M', soGiayTo: '012345678',
  soDdcn: `079090${String(i).padStart(6, '0')}`, vssid: false, email: null, status: 'MATCHED', fields: [], findings: [], detail: null,
});
const people = (from: number, n: number) => Array.from({ length: n }, (_, i) => person(from + i));

/** Stt and Mã số BHXH of each person on a Mẫu 01 (people start on row 14). */
async function codesIn(file: string): Promise<Array<[unknown, unknown]>> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const ws = wb.worksheets[0]!;
  const out: Array<[unknown, unknown]> = [];
  for (let r = 14; typeof ws.getCell(r, 1).value === 'number'; r++) out.push([ws.getCell(r, 1).value, ws.getCell(r, 2).value]);
  return out;
}

const exists = (file: string) => access(file).then(() => true, () => false);

/** True once `p` has settled; false while it is still pending after every other ready callback had its turn. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

/**
 * A thread that has not caught up yet: what it answers is held from the pool until `release()`. `answered` settles
 * once it has answered something (the pool has not heard it).
 */
function holdAnswers(thread: Worker): { answered: Promise<void>; release: () => void } {
  const held: unknown[][] = [];
  let heard: () => void = () => {};
  const answered = new Promise<void>((resolve) => (heard = resolve));
  const emit = thread.emit.bind(thread);
  thread.emit = (event: string | symbol, ...args: unknown[]) => {
    if (event !== 'message') return emit(event, ...args);
    held.push(args);
    heard();
    return true;
  };
  return {
    answered,
    release: () => {
      thread.emit = emit;
      for (const args of held.splice(0)) emit('message', ...args);
    },
  };
}

/** A sink on a pool of one thread, started, whose answers are held from the pool (holdAnswers). */
async function sinkOnHeldThread() {
  const pool = new ListWorkerPool(1);
  const sink = new WorkerSink(pool);
  pool.warm();
  return { pool, sink, thread: holdAnswers((await pool.slotForNewFile()).worker!) };
}

/** A download's workbook made on `pool` from `pieces` of people sent one after another. */
async function download(pool: ListWorkerPool, name: string, ...pieces: unknown[][]): Promise<Buffer> {
  const file = await pool.openBytes(spec(name));
  for (const rows of pieces) await file.add(rows);
  return file.bytes();
}

/** `bytes` saved as `name` in the test's folder, to be read back. */
async function written(name: string, bytes: Buffer): Promise<string> {
  await writeFile(spec(name).path, bytes);
  return spec(name).path;
}

/** The nice values of this process's threads (Linux). */
async function threadNiceValues(): Promise<number[]> {
  const tids = await readdir('/proc/self/task');
  const stats = await Promise.all(tids.map((t) => readFile(`/proc/self/task/${t}/stat`, 'utf8').catch(() => null)));
  // After the command name in parentheses, nice is the 17th field.
  return stats.flatMap((st) => (st === null ? [] : [Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[16])]));
}

// A mutant that loses a message makes a test wait for ever: fail it well before the suite's own limit.
const WAIT = { timeout: 20_000 };

describe('list files written by worker threads', () => {
  it('writes a file whose people come in several messages, all of them in order', WAIT, async () => {
    const sink = new WorkerSink(1);
    try {
      const id = await sink.begin(spec('parts.xlsx'), people(1, 3), false);
      await sink.rows(id, people(4, 2), false);
      await sink.rows(id, people(6, 1), true);
      // A file once ended takes no more rows.
      await expect(sink.rows(id, people(7, 1), true)).rejects.toThrow(`list file ${id} is not open`);
      await expect(sink.rows(id + 1, [], true)).rejects.toThrow(`list file ${id + 1} is not open`);
      expect(await sink.finish()).toEqual({ done: [{ path: spec('parts.xlsx').path, rows: 6 }], failed: [] });
      expect(await codesIn(spec('parts.xlsx').path)).toEqual(people(1, 6).map((p, i) => [i + 1, p.maSoBhxh]));
    } finally {
      await sink.close();
    }
  });

  it('takes no more rows for a file sent whole in its first message', WAIT, async () => {
    const sink = new WorkerSink(1);
    try {
      const id = await sink.begin(spec('whole.xlsx'), people(1, 2), true);
      await expect(sink.rows(id, people(3, 1), true)).rejects.toThrow(`list file ${id} is not open`);
      expect(await sink.finish()).toEqual({ done: [{ path: spec('whole.xlsx').path, rows: 2 }], failed: [] });
      expect(await codesIn(spec('whole.xlsx').path)).toEqual(people(1, 2).map((p, i) => [i + 1, p.maSoBhxh]));
    } finally {
      await sink.close();
    }
  });

  it('lets a pool shared with others go on after one of them gave up on its open files', WAIT, async () => {
    const pool = new ListWorkerPool(1);
    const quitter = new WorkerSink(pool);
    const other = new WorkerSink(pool);
    try {
      const kept = await other.begin(spec('kept.xlsx'), people(1, 2), false);
      // As many files open as a thread takes (32): the next file has room only once giving up frees theirs.
      for (let i = 0; i < 31; i++) await quitter.begin(spec(`given-up-${i}.xlsx`), people(1, 2), false);
      await quitter.close();
      const next = new WorkerSink(pool);
      await next.begin(spec('next.xlsx'), people(1, 1), true);
      await other.rows(kept, people(3, 2), true);
      expect((await next.finish()).done).toEqual([{ path: spec('next.xlsx').path, rows: 1 }]);
      expect((await other.finish()).done).toEqual([{ path: spec('kept.xlsx').path, rows: 4 }]);
      expect(await codesIn(spec('kept.xlsx').path)).toEqual(people(1, 4).map((p, i) => [i + 1, p.maSoBhxh]));
      expect(await exists(spec('given-up-0.xlsx').path)).toBe(false);
    } finally {
      await other.close();
      await pool.close();
    }
  });

  it('waits for room when a thread holds 32 open files, and goes on once one of them is finished', WAIT, async () => {
    const sink = new WorkerSink(1);
    try {
      const ids: number[] = [];
      for (let i = 0; i < 32; i++) ids.push(await sink.begin(spec(`open-${i}.xlsx`), people(1, 1), false));
      const waiting = sink.begin(spec('open-32.xlsx'), people(1, 1), true);
      expect(await settled(waiting)).toBe(false);
      await sink.rows(ids[0]!, people(2, 1), true);
      await waiting;
      for (const id of ids.slice(1)) await sink.rows(id, [], true);
      const { done, failed } = await sink.finish();
      expect([done.length, failed]).toEqual([33, []]);
      expect(await codesIn(spec('open-0.xlsx').path)).toEqual([[1, person(1).maSoBhxh], [2, person(2).maSoBhxh]]);
      expect(await codesIn(spec('open-32.xlsx').path)).toEqual([[1, person(1).maSoBhxh]]);
    } finally {
      await sink.close();
    }
  });

  it('holds a new file back while a thread has 20 000 rows it has not taken yet, and sends it once the thread catches up', WAIT, async () => {
    const { pool, sink, thread } = await sinkOnHeldThread();
    try {
      const big = await sink.begin(spec('big.xlsx'), people(1, 20_000), false);
      const small = sink.begin(spec('small.xlsx'), people(1, 1), true);
      await thread.answered; // the thread has taken the rows; the pool does not know yet
      expect(await settled(small)).toBe(false);
      thread.release();
      await small;
      await sink.rows(big, people(20_001, 1), true);
      expect((await sink.finish()).done).toEqual([
        { path: spec('small.xlsx').path, rows: 1 },
        { path: spec('big.xlsx').path, rows: 20_001 },
      ]);
    } finally {
      await sink.close();
      await pool.close();
    }
  });

  it('fails the files of a thread that exits on its own, saying so with its exit code; the next file gets a new thread', WAIT, async () => {
    const pool = new ListWorkerPool(1);
    const lost = new WorkerSink(pool);
    try {
      await lost.begin(spec('exited.xlsx'), people(1, 2), false);
      await lost.begin(spec('exited-too.xlsx'), people(1, 2), false);
      await (await pool.slotForNewFile()).worker!.terminate();
      // Every file the thread had, so that the operator can find the unit whose list it was writing.
      await expect(lost.finish()).rejects.toThrow(
        new RegExp(`^a list worker exited with code \\d+ \\(it had ${spec('exited.xlsx').path}, ${spec('exited-too.xlsx').path}\\)$`),
      );
      await lost.close();
      const after = new WorkerSink(pool);
      await after.begin(spec('after-exit.xlsx'), people(1, 1), true);
      expect((await after.finish()).done).toEqual([{ path: spec('after-exit.xlsx').path, rows: 1 }]);
      expect(await exists(spec('exited.xlsx').path)).toBe(false);
    } finally {
      await pool.close();
    }
  });

  // Linux (/proc), as the nightly hosts are; run at a nice value below 13, or the test cannot see the change.
  it('runs its threads at the nice value it was given, and ends them when closed', WAIT, async () => {
    expect(getPriority()).toBeLessThan(13);
    expect(await threadNiceValues()).not.toContain(13);
    const pool = new ListWorkerPool(1, { nice: 13 });
    try {
      expect((await download(pool, 'nice.xlsx', people(1, 1))).subarray(0, 2).toString('latin1')).toBe('PK');
      expect(await threadNiceValues()).toContain(13);
    } finally {
      await pool.close();
    }
    expect(await threadNiceValues()).not.toContain(13);
  });

  it('fails the files of a thread that dies with the reason, and only those; the next file gets a new thread', WAIT, async () => {
    const pool = new ListWorkerPool(2);
    const onDying = new WorkerSink(pool);
    const onOther = new WorkerSink(pool);
    try {
      const dying = await pool.slotForNewFile(); // the least busy thread: the one the next file goes to
      await onDying.begin(spec('lost.xlsx'), people(1, 2), false);
      const kept = await onOther.begin(spec('kept.xlsx'), people(1, 2), false); // the other thread
      const thread = dying.worker!;
      // What Node reports when a thread throws: 'error', and its 'exit' some time later.
      const cause = new Error('out of memory');
      thread.emit('error', cause);
      const broken = await onDying.finish().catch((e: unknown) => e as Error);
      expect(broken).toBeInstanceOf(Error);
      // Which file the thread had in hand: the operator knows which unit's list to look at.
      expect((broken as Error).message).toBe(`a list worker failed: out of memory (it had ${spec('lost.xlsx').path})`);
      expect((broken as Error).cause).toBe(cause);
      await expect(onDying.rows(0, people(3, 1), true)).rejects.toThrow('a list worker failed: out of memory');
      await onDying.close();

      // A new file starts a new thread in the dead one's place; the old thread's exit does not touch it.
      const after = new WorkerSink(pool);
      const late = await after.begin(spec('after.xlsx'), people(1, 1), false);
      await thread.terminate();
      await after.rows(late, people(2, 1), true);
      expect((await after.finish()).done).toEqual([{ path: spec('after.xlsx').path, rows: 2 }]);

      await onOther.rows(kept, people(3, 1), true);
      expect((await onOther.finish()).done).toEqual([{ path: spec('kept.xlsx').path, rows: 3 }]);
      expect(await exists(spec('lost.xlsx').path)).toBe(false);
    } finally {
      await onOther.close();
      await pool.close();
    }
  });

  it('answers a download that cannot be made with why, and refuses work once closed', WAIT, async () => {
    const pool = new ListWorkerPool(1);
    try {
      const bytes = await download(pool, 'download.xlsx', people(1, 2));
      expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
      await expect(download(pool, 'download.xlsx', people(1, 1), [null])).rejects.toThrow(/^list file not made: \S/);
      await expect(pool.mau03Bytes({} as ProgressReport)).rejects.toThrow(/^Mẫu 03 not made: \S/);
    } finally {
      await pool.close();
    }
    await expect(download(pool, 'download.xlsx', people(1, 1))).rejects.toThrow('the list worker pool is closed');
    await expect(new WorkerSink(pool).begin(spec('late.xlsx'), people(1, 1), true)).rejects.toThrow('the list worker pool is closed');
    expect(() => new ListWorkerPool(0)).toThrow('a list worker pool needs at least one thread');
  });

  it('makes a download sent in pieces the very file written to disk, holding each piece while the thread is behind', WAIT, async () => {
    const { pool, sink, thread } = await sinkOnHeldThread();
    try {
      const file = await pool.openBytes(spec('download.xlsx'));
      await file.add(people(1, 20_000));
      const next = file.add(people(20_001, 5_000));
      await thread.answered; // the thread has taken the first piece; the pool does not know yet
      expect(await settled(next)).toBe(false);
      thread.release();
      await next;
      await file.add([]);
      await file.add(people(25_001, 1));
      const bytes = await file.bytes();
      const id = await sink.begin(spec('written.xlsx'), people(1, 10_000), false);
      await sink.rows(id, people(10_001, 15_001), true);
      expect((await sink.finish()).done).toEqual([{ path: spec('written.xlsx').path, rows: 25_001 }]);
      expect(bytes.equals(await readFile(spec('written.xlsx').path))).toBe(true);
      expect(await exists(spec('download.xlsx').path)).toBe(false); // nothing on disk for a download
    } finally {
      await sink.close();
      await pool.close();
    }
  });

  it('answers a download whose thread dies with why, sends nothing more for it, and makes the next on a new thread', WAIT, async () => {
    const pool = new ListWorkerPool(1);
    try {
      const file = await pool.openBytes(spec('lost-download.xlsx'));
      await file.add(people(1, 2));
      const slot = await pool.slotForNewFile();
      const cause = new Error('out of memory');
      slot.worker!.emit('error', cause);
      await expect(file.add(people(3, 1))).rejects.toThrow('a list worker failed: out of memory');
      await expect(file.bytes()).rejects.toThrow('a list worker failed: out of memory');
      expect(slot.worker).toBeNull(); // no thread started to hear the end of a file nobody holds
      file.abandon();
      expect(await codesIn(await written('after-death.xlsx', await download(pool, 'after-death.xlsx', people(1, 2))))).toEqual(
        people(1, 2).map((p, i) => [i + 1, p.maSoBhxh]),
      );
    } finally {
      await pool.close();
    }
  });

  it('answers a download in flight, and one waiting for room, once the pool closes; nothing more is taken', WAIT, async () => {
    const pool = new ListWorkerPool(1);
    pool.warm();
    const thread = holdAnswers((await pool.slotForNewFile()).worker!); // the thread falls behind: nothing is answered
    const ended = await pool.openBytes(spec('closing-1.xlsx'));
    await ended.add(people(1, 1));
    const made = ended.bytes();
    const mau03 = pool.mau03Bytes({} as ProgressReport);
    const waiting = await pool.openBytes(spec('closing-2.xlsx'));
    await waiting.add(people(1, 20_000)); // the thread's queue is full: the next piece waits for room
    const held = waiting.add(people(20_001, 10));
    await thread.answered;
    expect(await settled(held)).toBe(false);
    const answered = Promise.allSettled([held, made, mau03]);
    await pool.close();
    expect((await answered).map((a) => a.status === 'rejected' && (a.reason as Error).message)).toEqual(Array(3).fill('the list worker pool is closed'));
    await expect(ended.add(people(2, 1))).rejects.toThrow('the list worker pool is closed');
    await expect(pool.openBytes(spec('closing-3.xlsx'))).rejects.toThrow('the list worker pool is closed');
  });

  it('does not count against the next thread what a dead thread answered after it died', WAIT, async () => {
    const pool = new ListWorkerPool(1);
    try {
      const file = await pool.openBytes(spec('dying.xlsx'));
      await file.add(people(1, 5));
      const slot = await pool.slotForNewFile();
      const dead = slot.worker!;
      dead.emit('error', new Error('out of memory'));
      await expect(file.bytes()).rejects.toThrow('a list worker failed: out of memory');
      dead.emit('message', { kind: 'ack', id: 0, sent: 5 }); // on its way before the thread went
      expect(slot.queuedRows).toBe(0);
      await dead.terminate();
    } finally {
      await pool.close();
    }
  });

  it('drops a download given up half-way, and makes the next one whole', WAIT, async () => {
    const pool = new ListWorkerPool(1);
    try {
      const given = await pool.openBytes(spec('given-up.xlsx'));
      await given.add(people(1, 3));
      given.abandon();
      const slot = await pool.slotForNewFile();
      expect(slot.openFiles).toBe(0);
      const bytes = await download(pool, 'kept-download.xlsx', people(1, 1), people(2, 2));
      expect(await codesIn(await written('kept-download.xlsx', bytes))).toEqual(people(1, 3).map((p, i) => [i + 1, p.maSoBhxh]));
    } finally {
      await pool.close();
    }
  });

  it('closes the threads of its own pool with the sink, and leaves a shared pool open', WAIT, async () => {
    const own = new WorkerSink(1);
    await own.begin(spec('own.xlsx'), people(1, 1), true);
    await own.finish();
    await own.close();
    await expect(own.begin(spec('own-late.xlsx'), people(1, 1), true)).rejects.toThrow('the list worker pool is closed');
    const pool = new ListWorkerPool(1);
    try {
      const shared = new WorkerSink(pool);
      await shared.close();
      expect((await download(pool, 'still-open.xlsx', people(1, 1))).subarray(0, 2).toString('latin1')).toBe('PK');
    } finally {
      await pool.close();
    }
  });

  it('takes the rest of a file that failed before its last rows came quietly, as in this thread, and reports it once', WAIT, async () => {
    const { pool, sink, thread } = await sinkOnHeldThread();
    try {
      const bad = await sink.begin({ ...spec('bad-parts.xlsx'), form: 'mau99' as FormKind }, people(1, 1), false);
      await thread.answered;
      thread.release(); // its failure is heard before the rest of it is sent (once, this ended the whole run)
      await sink.rows(bad, people(2, 1), false);
      await sink.rows(bad, people(3, 1), true);
      await expect(sink.rows(bad, people(4, 1), true)).rejects.toThrow(`list file ${bad} is not open`);
      await sink.begin(spec('after-bad.xlsx'), people(1, 2), true);
      const { done, failed } = await sink.finish();
      expect(done).toEqual([{ path: spec('after-bad.xlsx').path, rows: 2 }]);
      expect(failed.map((f) => f.spec.path)).toEqual([spec('bad-parts.xlsx').path]);
    } finally {
      await sink.close();
      await pool.close();
    }
  });

  it("writes a Mẫu 02 of long, heavily accented texts within the heap of `ddcn lists`'s threads", { timeout: 60_000 }, async () => {
    // Every text at its column's limit and nearly every letter accented, plus three texts converted from a legacy
    // encoding (a name, a unit's name and address) shown in column 9. The string table's cache once kept each escaped text as a chain of small pieces
    // (~56 bytes a character): the thread died of its heap within the first thousand rows.
    const accented = 'ẮẰẲẴẶắằẳẵặẤẦẨẪẬấầẩẫậĐđẾỀỂỄỆếềểễệỐỒỔỖỘốồổỗộỚỜỞỠỢớờởỡợỨỪỬỮỰứừửữựỲỶỸỴýỳỷỹỵ';
    // A different text for every row and column (the string table would otherwise find them again).
    const text = (seed: number, n: number) => {
      let x = seed;
      return Array.from({ length: n }, (_, k) => (k % 7 === 6 ? ' ' : accented[(x = (x * 1103515245 + 12345) & 0x7fffffff) % accented.length])).join('');
    };
    const row = (i: number): ListRow => ({
      ...person(i), hoTen: text(5 * i, 200), status: 'MISMATCHED', soDdcn: null, fields: ['name'], email: `${'a'.repeat(240)}${i}@example.vn`,
      findings: [
        { field: 'name', code: 'converted', from: 'TCVN3', value: text(5 * i + 1, 200) },
        { field: 'unit', code: 'converted', from: 'VNI', value: text(5 * i + 2, 200) },
        { field: 'unit', code: 'converted', from: 'VNI', value: text(5 * i + 3, 200) },
      ],
      detail: { registry: { hoTen: text(5 * i + 4, 200), ngaySinh: '1981-02-03', gioiTinh: 'F' } },
    });
    const sink = new WorkerSink(1);
    try {
      const n = 4000;
      const id = await sink.begin(spec('accented.xlsx', 'mau02'), Array.from({ length: 1000 }, (_, k) => row(k + 1)), false);
      for (let from = 1001; from <= n; from += 1000) {
        await sink.rows(id, Array.from({ length: 1000 }, (_, k) => row(from + k)), from + 1000 > n);
      }
      expect(await sink.finish()).toEqual({ done: [{ path: spec('accented.xlsx', 'mau02').path, rows: n }], failed: [] });
    } finally {
      await sink.close();
    }
  });
});


describe('list files written in this thread', () => {
  it('reports a file that cannot even be begun as not written, and goes on with the others', async () => {
    const sink = new InlineSink();
    const bad = { ...spec('bad.xlsx'), form: 'mau99' as FormKind };
    await sink.begin(bad, people(1, 1), true);
    await sink.begin(spec('good.xlsx'), people(1, 1), true);
    const { done, failed } = await sink.finish();
    expect(done).toEqual([{ path: spec('good.xlsx').path, rows: 1 }]);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.spec).toBe(bad);
    expect(failed[0]!.reason).toMatch(/\S/);
  });

  it('writes a file whose people come in several calls, all of them in order, and ignores more rows for a file that failed', async () => {
    const sink = new InlineSink();
    const id = await sink.begin(spec('inline-parts.xlsx'), people(1, 3), false);
    await sink.rows(id, people(4, 2), false);
    await sink.rows(id, people(6, 1), true);
    const bad = await sink.begin({ ...spec('inline-bad.xlsx'), form: 'mau99' as FormKind }, people(1, 1), false);
    await sink.rows(bad, people(2, 1), true); // reported once, when it failed
    const other = await sink.begin(spec('inline-other.xlsx'), people(1, 1), true);
    expect(new Set([id, bad, other]).size).toBe(3);
    const { done, failed } = await sink.finish();
    expect(done).toEqual([
      { path: spec('inline-parts.xlsx').path, rows: 6 },
      { path: spec('inline-other.xlsx').path, rows: 1 },
    ]);
    expect(failed.map((f) => f.spec.path)).toEqual([spec('inline-bad.xlsx').path]);
    expect(await codesIn(spec('inline-parts.xlsx').path)).toEqual(people(1, 6).map((p, i) => [i + 1, p.maSoBhxh]));
    await sink.close();
  });

  it('gives a reason for whatever was thrown: the error code, else its message, else the value as text', () => {
    expect(failureReason(Object.assign(new Error('no space left'), { code: 'ENOSPC' }))).toBe('ENOSPC');
    expect(failureReason(new Error('bad row'))).toBe('bad row');
    expect(failureReason(null)).toBe('null');
    expect(failureReason(undefined)).toBe('undefined');
  });
});
