// Share files over the file exchange are the delivery: a file written under a name already taken must never replace
// the one there (its people would count as shared and never reach the registry).
import { lstat, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { abandonedName, ensureDir, FileExistsError, moveInto, partialName, writeFileAtomic } from '../../src/adapters/file-exchange-fs.js';
import { shareFileName, writeUnderFreeName } from '../../src/adapters/file-exchange.js';
import { useTempDir } from '../helpers/pipeline.js';
import { underUmask } from '../helpers/umask.js';

let dir: string;
beforeEach(async () => {
  dir = await useTempDir();
});

describe('writing an exchange file that must not replace another', () => {
  it('refuses a name whose file is in place, and leaves that file and no dot file', async () => {
    await writeFile(path.join(dir, 'a.csv'), 'first');
    await expect(writeFileAtomic(dir, 'a.csv', 'second', undefined, { keepExisting: true })).rejects.toBeInstanceOf(FileExistsError);
    expect(await readFile(path.join(dir, 'a.csv'), 'utf8')).toBe('first');
    expect(await readdir(dir)).toEqual(['a.csv']);
  });

  it('refuses a name another process is writing (its dot file exists), and leaves that dot file alone', async () => {
    await writeFile(path.join(dir, partialName('a.csv')), 'being written');
    await expect(writeFileAtomic(dir, 'a.csv', 'second', undefined, { keepExisting: true })).rejects.toBeInstanceOf(FileExistsError);
    expect(await readFile(path.join(dir, partialName('a.csv')), 'utf8')).toBe('being written');
    expect(await readdir(dir)).toEqual([partialName('a.csv')]);
  });

  it('writes a free name, and without keepExisting still replaces (a request or answer file written again)', async () => {
    await writeFileAtomic(dir, 'a.csv', 'first', undefined, { keepExisting: true });
    await writeFileAtomic(dir, 'a.csv', 'again');
    expect(await readFile(path.join(dir, 'a.csv'), 'utf8')).toBe('again');
    expect(await readdir(dir)).toEqual(['a.csv']);
  });

  it('of two writers of one name at the same moment, one gets it and the other is told', async () => {
    const results = await Promise.allSettled(
      ['one', 'two'].map((text) => writeFileAtomic(dir, 'a.csv', text, undefined, { keepExisting: true })),
    );
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    expect(await readFile(path.join(dir, 'a.csv'), 'utf8')).toBe(['one', 'two'][winner]);
    expect(await readdir(dir)).toEqual(['a.csv']);
  });
});

describe('a share file name', () => {
  it('is ddcn-share-<time>-<6 hex>.csv (interface.md)', () => {
    expect(shareFileName(new Date('2024-06-03T01:30:00.123Z'))).toMatch(/^ddcn-share-20240603T013000123Z-[0-9a-f]{6}\.csv$/);
  });

  it('is drawn again when taken, up to the tries allowed; other errors are not retried', async () => {
    await writeFile(path.join(dir, 'taken.csv'), 'first');
    const names = ['taken.csv', 'taken.csv', 'free.csv'];
    const write = (name: string) => writeFileAtomic(dir, name, 'mine', undefined, { keepExisting: true });
    expect(await writeUnderFreeName(3, () => names.shift()!, write)).toBe('free.csv');
    expect(await readFile(path.join(dir, 'taken.csv'), 'utf8')).toBe('first');
    expect(await readFile(path.join(dir, 'free.csv'), 'utf8')).toBe('mine');

    await expect(writeUnderFreeName(2, () => 'taken.csv', write)).rejects.toBeInstanceOf(FileExistsError);
    let calls = 0;
    const failing = async () => {
      calls += 1;
      throw new Error('disk full');
    };
    await expect(writeUnderFreeName(5, () => 'x.csv', failing)).rejects.toThrow('disk full');
    expect(calls).toBe(1);
  });
});

describe('writing an exchange file whose commit or dot file goes wrong', () => {
  const lost = () => Promise.reject(new Error('Connection terminated unexpectedly'));
  const files = async () => (await readdir(dir)).sort();

  it('puts the file in place when the commit failed but went through (the acknowledgement lost)', async () => {
    await writeFileAtomic(dir, 'r.csv', 'req', lost, { wasCommitted: async () => true });
    expect(await files()).toEqual(['r.csv']);
    expect(await readFile(path.join(dir, 'r.csv'), 'utf8')).toBe('req');
  });

  it('removes the dot file when the commit did not go through, and says why', async () => {
    await expect(writeFileAtomic(dir, 'r.csv', 'req', lost, { wasCommitted: async () => false })).rejects.toThrow('Connection terminated');
    expect(await files()).toEqual([]);
  });

  it('leaves the dot file for the outbox recovery when nobody can tell whether the commit went through', async () => {
    await expect(writeFileAtomic(dir, 'r.csv', 'req', lost, { wasCommitted: lost })).rejects.toThrow('Connection terminated');
    expect(await files()).toEqual([partialName('r.csv')]);
  });

  it('puts in place a recorded file that another worker set aside as a crash\'s during the commit (its clock far ahead)', async () => {
    const commit = async () => rename(path.join(dir, partialName('r.csv')), path.join(dir, abandonedName('r.csv')));
    await writeFileAtomic(dir, 'r.csv', 'req', commit);
    expect(await files()).toEqual(['r.csv']);
    expect(await readFile(path.join(dir, 'r.csv'), 'utf8')).toBe('req');
  });

  it('writes nothing again when the recorded file was put in place and taken by the registry during the commit', async () => {
    await mkdir(path.join(dir, 'answered'));
    const commit = async () => rename(path.join(dir, partialName('r.csv')), path.join(dir, 'answered', 'r.csv'));
    await writeFileAtomic(dir, 'r.csv', 'req', commit);
    expect(await files()).toEqual(['answered']);
    expect(await readdir(path.join(dir, 'answered'))).toEqual(['r.csv']);
  });

  it('is done when another worker put the recorded file in place during the commit', async () => {
    const commit = async () => {
      await writeFile(path.join(dir, 'r.csv'), await readFile(path.join(dir, partialName('r.csv'))));
      await rm(path.join(dir, partialName('r.csv')));
    };
    await writeFileAtomic(dir, 'r.csv', 'req', commit);
    expect(await files()).toEqual(['r.csv']);
    expect(await readFile(path.join(dir, 'r.csv'), 'utf8')).toBe('req');
  });

  it('a share file whose dot file went is written again under another name', async () => {
    const names = ['s1.csv', 's2.csv'];
    let first = true;
    const write = (name: string) =>
      writeFileAtomic(
        dir,
        name,
        'share',
        async () => {
          if (first) await rm(path.join(dir, partialName(name)));
          first = false;
        },
        { keepExisting: true },
      );
    expect(await writeUnderFreeName(3, () => names.shift()!, write)).toBe('s2.csv');
    expect(await files()).toEqual(['s2.csv']);
  });
});

describe('the modes of exchange files and folders', () => {
  it('writes files readable by owner and group only, and makes folders the same, under the everyday umask 022', async () => {
    let umask = underUmask(0o022);
    try {
      const outbox = path.join(dir, 'new', 'outbox');
      expect(await ensureDir(outbox, 'outbox')).toBe(true);
      await writeFileAtomic(outbox, 'ddcn-req-00000001-abcdef.csv', 'request_id,ho_ten\n');
      const moved = await moveInto(outbox, 'ddcn-req-00000001-abcdef.csv', 'answered');
      const mode = async (p: string) => (await stat(p)).mode & 0o777;
      const usual = umask.inEffect;
      expect(await mode(path.join(dir, 'new'))).toBe(0o750 & ~usual);
      expect(await mode(outbox)).toBe(0o750 & ~usual);
      expect(await mode(path.join(outbox, 'answered'))).toBe(0o750 & ~usual);
      expect(await mode(moved)).toBe(0o640 & ~usual);
      // A stricter umask still applies.
      umask.restore();
      umask = underUmask(0o077);
      await writeFileAtomic(outbox, 'ddcn-share-x.csv', 'request_id\n');
      expect(await mode(path.join(outbox, 'ddcn-share-x.csv'))).toBe(0o640 & ~umask.inEffect);
    } finally {
      umask.restore();
    }
  });
});

describe('the reason written beside a refused file', () => {
  it('is a private file of its own, never the file a link planted under its name points to', async () => {
    const umask = underUmask(0o022);
    try {
      const inbox = path.join(dir, 'inbox');
      await mkdir(path.join(inbox, 'refused'), { recursive: true });
      const victim = path.join(dir, 'victim.txt');
      await writeFile(victim, 'keep me');
      await symlink(victim, path.join(inbox, 'refused', 'x.answer.csv.reason.txt'));
      await writeFile(path.join(inbox, 'x.answer.csv'), 'not an answer');
      const moved = await moveInto(inbox, 'x.answer.csv', 'refused', 'refused (format): not a readable CSV');
      expect(moved).toBe(path.join(inbox, 'refused', 'x.answer.csv'));
      expect(await readFile(victim, 'utf8')).toBe('keep me');
      const reason = path.join(inbox, 'refused', 'x.answer.csv.reason.txt');
      expect([await readFile(reason, 'utf8'), (await lstat(reason)).isSymbolicLink(), (await stat(reason)).mode & 0o777]).toEqual([
        'refused (format): not a readable CSV\n', false, 0o640 & ~umask.inEffect,
      ]);
    } finally {
      umask.restore();
    }
  });
});
