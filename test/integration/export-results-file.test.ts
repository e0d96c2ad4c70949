// `ddcn export results --out FILE` that fails half-way (a full disk, the database lost) must not leave a truncated
// file under the name a nightly script reads, nor destroy the previous night's results.
import { execFileSync } from 'node:child_process';
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { Db } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';
import { exportResults } from '../../src/pipeline/export-results.js';
import { tempDirPerFile } from '../helpers/temp-dir.js';
import { underUmask } from '../helpers/umask.js';

const dir = tempDirPerFile('ddcn-export-file-');

/** Folders in which making a file is refused as EACCES, as to a user who may write a file there but not the folder. */
const lockedFolders = vi.hoisted(() => new Set<string>());
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const { PassThrough } = await import('node:stream');
  const createWriteStream = ((file: string, ...rest: unknown[]) => {
    if (typeof file === 'string' && lockedFolders.has(path.dirname(file)) && !fs.existsSync(file)) {
      const err = Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES', errno: -13, syscall: 'open', path: file });
      const stream = new PassThrough();
      setImmediate(() => stream.emit('error', err));
      return stream;
    }
    return (fs.createWriteStream as (...a: unknown[]) => unknown)(file, ...rest);
  }) as typeof fs.createWriteStream;
  return { ...fs, createWriteStream, default: { ...fs, createWriteStream } };
});

/** A database whose COPY sends some rows, then fails (`error`), or sends them all (no `error`). */
function copyingDb(rows: string[], error?: Error): Db {
  const copy = (): Readable => {
    const stream = new Readable({ read() {} });
    (stream as unknown as { rowCount: number }).rowCount = rows.length;
    setImmediate(() => {
      for (const row of rows) stream.push(row);
      if (error) stream.destroy(error);
      else stream.push(null);
    });
    return stream;
  };
  return { withSession: async <T>(fn: (s: unknown) => Promise<T>) => fn({ copyOut: copy }) } as unknown as Db;
}

const deps = (db: Db) => ({ db, log: createLogger('silent'), now: () => new Date() });

describe('export results to a file', () => {
  it('keeps the previous file whole when the export fails half-way, and leaves no temporary file', async () => {
    const out = path.join(dir, 'results.csv');
    const previous = 'ma_so_bhxh,status,fields,so_ddcn\n0100000001,MATCHED,,001090000001\n';
    await writeFile(out, previous);
    const failing = copyingDb(['ma_so_bhxh,status,fields,so_ddcn\n', '0100000001,MATC'], new Error('connection lost'));
    await expect(exportResults(deps(failing), out, null)).rejects.toThrow('connection lost');
    expect(await readFile(out, 'utf8')).toBe(previous);
    expect(await readdir(dir)).toEqual(['results.csv']);
  });

  it('replaces the file once the export is whole', async () => {
    const out = path.join(dir, 'whole.csv');
    await writeFile(out, 'old\n');
    const rows = ['ma_so_bhxh,status,fields,so_ddcn\n', '0100000002,PENDING,,\n'];
    expect(await exportResults(deps(copyingDb(rows)), out, null)).toBe(2);
    expect(await readFile(out, 'utf8')).toBe(rows.join(''));
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes through a symbolic link, leaving the link in place', async () => {
    const real = path.join(dir, 'current.csv');
    const link = path.join(dir, 'link.csv');
    await writeFile(real, 'old\n');
    await symlink(real, link);
    const rows = ['ma_so_bhxh,status,fields,so_ddcn\n', '0100000003,PENDING,,\n'];
    await exportResults(deps(copyingDb(rows)), link, null);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(real, 'utf8')).toBe(rows.join(''));
  });

  // results.csv holds ID numbers (so_ddcn): an operator who made it readable by its owner only must not find it
  // readable by every user of the machine after the next night's export (a new file under the umask 022).
  it('keeps the permissions of the file it replaces', async () => {
    const out = path.join(dir, 'private.csv');
    await writeFile(out, 'old\n');
    await chmod(out, 0o600);
    await exportResults(deps(copyingDb(['ma_so_bhxh,status,fields,so_ddcn\n'])), out, null);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
  });

  // A named pipe (a script reading the export as it is written, `mkfifo`) or a device (/dev/null) is written into,
  // as before the temporary file, not replaced by a regular file renamed over it.
  it('writes into a named pipe rather than replacing it', async () => {
    const fifo = path.join(dir, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    const rows = ['ma_so_bhxh,status,fields,so_ddcn\n', '0100000004,PENDING,,\n'];
    const reading = (async () => {
      let text = '';
      for await (const chunk of createReadStream(fifo, 'utf8')) text += chunk;
      return text;
    })();
    await exportResults(deps(copyingDb(rows)), fifo, null);
    expect(await reading).toBe(rows.join(''));
    expect((await lstat(fifo)).isFIFO()).toBe(true);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 10_000);

  // Before the temporary file (21eaa8d) such a file was written: the export must not now fail for it.
  it('writes in place a file it may write in a folder where it may not make one', async () => {
    const share = path.join(dir, 'share');
    await mkdir(share);
    const out = path.join(share, 'results.csv');
    await writeFile(out, 'old\n');
    lockedFolders.add(share);
    const rows = ['ma_so_bhxh,status,fields,so_ddcn\n', '0100000005,PENDING,,\n'];
    expect(await exportResults(deps(copyingDb(rows)), out, null)).toBe(2);
    expect(await readFile(out, 'utf8')).toBe(rows.join(''));
    // A new file there cannot be made at all: said so.
    await expect(exportResults(deps(copyingDb(rows)), path.join(share, 'new.csv'), null)).rejects.toThrow(`cannot write ${path.join(share, 'new.csv')}: permission denied`);
    lockedFolders.delete(share);
  });

  // `--out /dev/stdout` (or /dev/fd/N) where that descriptor is a file a shell opened: the shell writes before and
  // after the export through its own descriptor (`{ date; ddcn export results --out /dev/stdout; } >> night.log`).
  it('writes through an open descriptor named as /dev/fd/N rather than renaming a file over what it resolves to', async () => {
    const log = path.join(dir, 'night.log');
    await writeFile(log, 'before\n');
    const fd = openSync(log, 'a');
    try {
      const rows = ['ma_so_bhxh,status,fields,so_ddcn\n', '0100000006,PENDING,,\n'];
      expect(await exportResults(deps(copyingDb(rows)), `/dev/fd/${fd}`, null)).toBe(2);
      writeSync(fd, 'after\n');
      expect(await readFile(log, 'utf8')).toBe(`before\n${rows.join('')}after\n`);
    } finally {
      closeSync(fd);
    }
    expect((await readdir(dir)).filter((f) => f.startsWith('night.log'))).toEqual(['night.log']);
  });

  // A share's results.csv that points at the file to be made (its folder there, the file not yet): written through.
  it('writes through a symbolic link whose file is not there yet, rather than replacing the link', async () => {
    const target = path.join(dir, 'current');
    await mkdir(target);
    const link = path.join(dir, 'share-results.csv');
    await symlink(path.join(target, 'results.csv'), link);
    const rows = ['ma_so_bhxh,status,fields,so_ddcn\n', '0100000007,PENDING,,\n'];
    expect(await exportResults(deps(copyingDb(rows)), link, null)).toBe(2);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(path.join(target, 'results.csv'), 'utf8')).toBe(rows.join(''));
  });

  it('says a loop of symbolic links, rather than replacing one of them with a file', async () => {
    const a = path.join(dir, 'loop-a.csv');
    const b = path.join(dir, 'loop-b.csv');
    await symlink(b, a);
    await symlink(a, b);
    await expect(exportResults(deps(copyingDb(['x\n'])), a, null)).rejects.toThrow(`cannot write ${a}`);
    expect((await lstat(a)).isSymbolicLink()).toBe(true);
  });

  // A SIGKILL (no exit handler runs) leaves the temporary file: it must not be readable by every user meanwhile.
  it('keeps its temporary file owner-only while it is written, and gives the new file the umask\'s mode without the others\' read', async () => {
    const out = path.join(dir, 'modes.csv');
    const seen: number[] = [];
    const db = {
      withSession: async <T>(fn: (s: unknown) => Promise<T>) => fn({
        copyOut: () => {
          const stream = new Readable({ read() {} });
          (stream as unknown as { rowCount: number }).rowCount = 1;
          setImmediate(async () => {
            seen.push((await stat(`${out}.${process.pid}.tmp`)).mode & 0o777);
            stream.push('x\n');
            stream.push(null);
          });
          return stream;
        },
      }),
    } as unknown as Db;
    const umask = underUmask(0o022);
    try {
      await exportResults(deps(db), out, null);
    } finally {
      umask.restore();
    }
    expect(seen).toEqual([0o600]);
    // ID numbers: owner and group (0640) under the everyday umask 022, which made it 0644, readable by every user.
    expect((await stat(out)).mode & 0o777).toBe(0o640 & ~umask.inEffect);
  });

  it('does not write through a symbolic link planted at its temporary name', async () => {
    const out = path.join(dir, 'planted.csv');
    const elsewhere = path.join(dir, 'elsewhere.txt');
    await writeFile(elsewhere, 'theirs\n');
    await symlink(elsewhere, `${out}.${process.pid}.tmp`);
    const rows = ['ma_so_bhxh,status,fields,so_ddcn\n', '0100000008,PENDING,,\n'];
    await exportResults(deps(copyingDb(rows)), out, null);
    expect(await readFile(elsewhere, 'utf8')).toBe('theirs\n');
    expect((await lstat(out)).isFile()).toBe(true);
    expect(await readFile(out, 'utf8')).toBe(rows.join(''));
  });
});
