// Folders made as `mkdir -p` makes them, for every layer that writes files (the file exchange, the outputs).
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Files ddcn writes that hold personal data (names, dates of birth, ID numbers): the lists, the rejects files, the
 * exported results, the exchange files. Readable by their owner and group only, whatever the umask of the cron job
 * or shell that runs ddcn (022, everyone's default, made them readable by every user of the machine); a stricter
 * umask still applies. The folders ddcn makes for them: the same readers.
 */
export const PRIVATE_FILE_MODE = 0o640;
export const PRIVATE_FOLDER_MODE = 0o750;

/**
 * `mkdir -p`, one folder at a time. Node's `mkdir(…, { recursive: true })` answers ENOENT ("no such file (check the
 * path)") for a folder on a read-only file system where the path is there and the cause is EROFS, and never returns
 * on a file system that answers ENOENT to every mkdir (`/proc`, `/sys`): it makes the parent again and again, at
 * full CPU. Here each folder is made by itself, so the error is the file system's own, and a folder that cannot be
 * made although its parent is there fails once. `mode`: of the folders it makes (the umask applies). True when it made
 * the folder itself.
 */
export async function makeFolders(dir: string, mode?: number): Promise<boolean> {
  const folder = path.resolve(dir);
  try {
    await mkdir(folder, mode);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      // A file of that name is in the way: said as such, as mkdir -p does.
      if ((await stat(folder)).isDirectory()) return false;
      throw err;
    }
    const parent = path.dirname(folder);
    if (code !== 'ENOENT' || parent === folder) throw err;
  }
  await makeFolders(path.dirname(folder), mode);
  try {
    await mkdir(folder, mode);
    return true;
  } catch (err) {
    // Made meanwhile by another process (two units' lists written at once): there, as wanted.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !(await stat(folder)).isDirectory()) throw err;
    return false;
  }
}
