// A full disk (or a quota) under the outbox: a request or share file cannot be written. The operator must be told
// which folder, and no half-written dot file may be left behind to be aged for an hour and kept for a week.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { fileErrorWords } from '../../src/errors.js';
import { partialName, writeFileAtomic } from '../../src/adapters/file-exchange-fs.js';
import { useTempDir } from '../helpers/pipeline.js';

/** The disk fills up after `room` bytes of any file written: each write then fails as Node's does (no path). */
const disk = vi.hoisted(() => ({ room: Infinity }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof fs.open = async (...args) => {
    const fh = await fs.open(...args);
    const writeFile = fh.writeFile.bind(fh);
    fh.writeFile = async (data, options) => {
      const text = String(data);
      if (Buffer.byteLength(text) <= disk.room) return writeFile(text, options);
      await writeFile(text.slice(0, disk.room), options);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    };
    return fh;
  };
  return { ...fs, open, default: { ...fs, open } };
});

describe('writing an exchange file on a full disk', () => {
  it('names the dot file it could not write, and leaves nothing behind', async () => {
    const dir = await useTempDir();
    disk.room = 10;
    const commit = vi.fn(async () => undefined);
    const failed = await writeFileAtomic(dir, 'ddcn-req-00000001-abcdef.csv', 'request_id,ho_ten\n'.repeat(100), commit).catch((err: unknown) => err);
    expect(failed).toMatchObject({ code: 'ENOSPC', syscall: 'write', path: path.join(dir, partialName('ddcn-req-00000001-abcdef.csv')) });
    expect(fileErrorWords(failed)).toContain('[ENOSPC]');
    expect(commit).not.toHaveBeenCalled();
    expect(await readdir(dir)).toEqual([]);

    // Room again: the same name is written as ever.
    disk.room = Infinity;
    await writeFileAtomic(dir, 'ddcn-req-00000001-abcdef.csv', 'request_id,ho_ten\n', commit);
    expect(await readdir(dir)).toEqual(['ddcn-req-00000001-abcdef.csv']);
  });
});
