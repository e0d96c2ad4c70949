// `--out` folders are made one at a time: Node's recursive mkdir hides a read-only file system behind ENOENT ("no such
// file (check the path)") and never returns where every mkdir answers ENOENT (/proc).
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDir } from '../../src/adapters/file-exchange-fs.js';
import { makeFolders } from '../../src/make-folders.js';
import { prepareOutputFile } from '../../src/pipeline/output-file.js';
import { tempDirPerFile } from '../helpers/temp-dir.js';

const dir = tempDirPerFile('ddcn-make-folders-');

describe('makeFolders', () => {
  it('makes every folder on the way, and leaves one already there', async () => {
    const deep = path.join(dir, 'a', 'b', 'c');
    await makeFolders(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    await makeFolders(deep);
    await makeFolders(path.join(dir, 'a'));
  });

  it('says a file in the way as such', async () => {
    writeFileSync(path.join(dir, 'file'), 'x');
    await expect(makeFolders(path.join(dir, 'file'))).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(makeFolders(path.join(dir, 'file', 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it.runIf(process.platform === 'linux' && existsSync('/proc/self'))('fails once, rather than spin for ever, where mkdir always answers ENOENT (/proc)', async () => {
    await expect(prepareOutputFile('/proc/ddcn-no-such/results.csv', 'results.csv')).rejects.toThrow('cannot write /proc/ddcn-no-such: no such file');
    await expect(makeFolders('/proc/ddcn-no-such/lists')).rejects.toMatchObject({ code: 'ENOENT' });
  }, 5000);

  // The file exchange's folders too (`--outbox /proc/…`: `ddcn run` spun at full CPU, deaf to SIGTERM).
  it.runIf(process.platform === 'linux' && existsSync('/proc/self'))('fails once for an exchange folder where mkdir always answers ENOENT (/proc)', async () => {
    await expect(ensureDir('/proc/ddcn-no-such/outbox', 'outbox')).rejects.toThrow('cannot write /proc/ddcn-no-such/outbox (the outbox): no such file (check the path) [ENOENT]');
  }, 5000);

  it('makes the exchange folders 0750 all the way, and says whether it made them', async () => {
    const deep = path.join(dir, 'x', 'outbox');
    expect(await ensureDir(deep, 'outbox')).toBe(true);
    expect(statSync(path.join(dir, 'x')).mode & 0o777).toBe(0o750 & ~process.umask());
    expect(statSync(deep).mode & 0o777).toBe(0o750 & ~process.umask());
    expect(await ensureDir(deep, 'outbox')).toBe(false);
    writeFileSync(path.join(dir, 'x', 'f'), 'x');
    await expect(ensureDir(path.join(dir, 'x', 'f'), 'inbox')).rejects.toThrow(`cannot write ${path.join(dir, 'x', 'f')} (the inbox): a file of that name is in the way (a part of the path is a file, not a folder) [EEXIST]`);
  });

  // An export's temporary file holds the results (ID numbers): a Ctrl-C ends the command with process.exit(130),
  // and the file was left beside the output, one more at each interruption.
  it('removes a temporary file marked so when the process exits before it is renamed, and not one unmarked', () => {
    const left = path.join(dir, 'results.csv.1.tmp');
    const renamed = path.join(dir, 'results.csv.2.tmp');
    const module = new URL('../../src/pipeline/output-file.ts', import.meta.url).href;
    const script = `
      import { writeFileSync } from 'node:fs';
      import { removedOnExit } from ${JSON.stringify(module)};
      for (const f of ${JSON.stringify([left, renamed])}) writeFileSync(f, 'x');
      removedOnExit(${JSON.stringify(left)});
      removedOnExit(${JSON.stringify(renamed)})();
      process.exit(130);`;
    expect(() => execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'pipe' })).toThrow();
    expect(existsSync(left)).toBe(false);
    expect(existsSync(renamed)).toBe(true);
  }, 20_000);
});
