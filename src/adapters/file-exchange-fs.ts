// Writing and moving exchange files so that a reader never sees half a file and a crash leaves nothing ambiguous.
import { lstat, open, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileErrorWords, fileSystemError, UserError } from '../errors.js';
import { makeFolders, PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE } from '../make-folders.js';

// Request, share and answer files hold names, dates of birth and ID numbers: written PRIVATE_FILE_MODE, readable by
// their owner and the transfer's group only (runbook, "The file exchange"), and the exchange folders ddcn makes (and
// done/, refused/, answered/ in them) PRIVATE_FOLDER_MODE, whatever the umask.

/** Makes the folder if it is missing; true when it did not exist. */
export async function ensureDir(dir: string, what: string): Promise<boolean> {
  let made: boolean;
  try {
    // One folder at a time, as the output folders (makeFolders): Node's recursive mkdir spins for ever at full CPU
    // where every mkdir answers ENOENT (`--outbox /proc/…`), and says ENOENT for a read-only file system.
    made = await makeFolders(dir, PRIVATE_FOLDER_MODE);
  } catch (err) {
    // Said as any output folder that cannot be made (`cannot write PATH: what to check [CODE]`), the operator's to
    // fix: it was an internal failure (`ddcn: failed: …` and the system's own error under it), with nothing to do.
    const code = (err as NodeJS.ErrnoException).code;
    if (fileSystemError(err)) throw new UserError(`cannot write ${dir} (the ${what}): ${fileErrorWords(err)}`, { cause: err });
    throw new Error(`${what} ${dir} cannot be used as a folder (${code ?? (err as Error).message})`, { cause: err });
  }
  // A guard: mkdir -p already fails (EEXIST) on a path that is not a folder, so this message is never seen.
  // Stryker disable next-line StringLiteral,ConditionalExpression: unreachable: mkdir -p already fails (EEXIST) on a path that is not a folder
  if (!(await stat(dir)).isDirectory()) throw new Error(`${what} ${dir} is not a folder`);
  return made;
}

// Stryker disable next-line BlockStatement: an fsync of the folder after a rename matters only if the machine loses power right then: no test of a running system can tell
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  // Stryker disable next-line BlockStatement: an fsync of the folder after a rename matters only if the machine loses power right then
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The name a file has while it is written: a dot file, which readers of the exchange skip. */
export const partialName = (name: string) => `.${name}.partial`;

/** writeFileAtomic with `keepExisting`: a file of that name is there, or being written by another process. */
export class FileExistsError extends Error {
  constructor(name: string) {
    super(`${name} exists already`);
    this.name = 'FileExistsError';
  }
}

/** The name a dot file of a crash is given by the outbox's recovery: still skipped by readers (file-exchange.ts). */
export const abandonedName = (name: string) => `.${name}.abandoned`;

/**
 * Writes `name` in `dir` as a dot file, flushed to disk, runs `commit` (a database transaction), and only then
 * renames it into place. If commit throws, `wasCommitted` tells whether it went through all the same (the
 * connection lost on its acknowledgement): yes, the file is put in place and nothing is thrown; no, the dot file is
 * removed; cannot tell (the database away), the dot file is left for the outbox's recovery. With `keepExisting`, a
 * file of that name already in place, or being written (its dot file exists), is never replaced: FileExistsError,
 * and nothing is written. Two writers of one name cannot both get through: the second can only create the dot file
 * once the first has renamed it away, and then finds the first's file in place.
 */
export async function writeFileAtomic(
  dir: string,
  name: string,
  text: string,
  commit: () => Promise<void> = async () => undefined,
  opts: { keepExisting?: boolean; wasCommitted?: () => Promise<boolean> } = {},
): Promise<void> {
  const tmp = path.join(dir, partialName(name));
  const target = path.join(dir, name);
  const keep = opts.keepExisting ?? false;
  await writePartial(tmp, name, text, keep);
  if (keep && (await exists(target))) {
    await unlink(tmp);
    throw new FileExistsError(name);
  }
  try {
    await commit();
  } catch (err) {
    const committed = opts.wasCommitted ? await opts.wasCommitted().catch(() => null) : false;
    if (committed !== true) {
      if (committed === false) await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }
  if (await goneMeanwhile(rename(tmp, target))) {
    // The dot file went meanwhile. A share file (keepExisting, nothing recorded): written again under a new name.
    if (keep) throw new FileExistsError(name);
    // A recorded file: put in place by another worker's recovery of the outbox (and perhaps already taken by the
    // registry: then it is delivered), or set aside as a crash's by one whose clock is far ahead: put in place.
    await goneMeanwhile(rename(path.join(dir, abandonedName(name)), target));
  }
  await syncDir(dir);
}

/** The dot file, written and flushed to disk; 'wx' when `exclusive` (FileExistsError if it is there). */
async function writePartial(tmp: string, name: string, text: string, exclusive: boolean): Promise<void> {
  let fh;
  try {
    fh = await open(tmp, exclusive ? 'wx' : 'w', PRIVATE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(name);
    throw err;
  }
  try {
    // A dot file left by a crash is written over, and kept its mode: one made 0644 before ddcn made them 0640 (or by
    // a copy) would have made the request readable by everyone. Taken down to PRIVATE_FILE_MODE; a stricter mode stays.
    const { mode } = await fh.stat();
    if ((mode & 0o777 & ~PRIVATE_FILE_MODE) !== 0) await fh.chmod(mode & PRIVATE_FILE_MODE);
    // Stryker disable next-line StringLiteral: an empty encoding is Node's default, UTF-8
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } catch (err) {
    // A full disk or a quota: the dot file, ours (made by this open), is removed rather than left half written for
    // the outbox's recovery to age for an hour and keep for a week, and the error names it: a write's error names
    // no path, and the operator must know which folder's disk is full.
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    if (e instanceof Error && e.path === undefined) e.path = tmp;
    throw err;
  }
  await fh.close();
}

/**
 * The operation's result, or true when its file was not there (ENOENT): in an outbox that several workers share, a
 * file put in place, set aside or removed by another process meanwhile.
 */
export async function goneMeanwhile<T>(op: Promise<T>): Promise<T | true> {
  try {
    return await op;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

const exists = async (file: string): Promise<boolean> => (await goneMeanwhile(stat(file))) !== true;

/**
 * Plain files at the top of a folder, sorted by name (sub-folders such as done/ and refused/ are not looked into);
 * with `links`, symbolic links too, not followed (the inbox refuses them, saying why: FileExchangeRegistry.ingest).
 */
export async function listFiles(dir: string, opts: { links?: boolean } = {}): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  // Stryker disable next-line MethodExpression: only the order files are handled in: each answer file is applied on its own, and a person's answer is that of their latest request
  return entries.filter((e) => e.isFile() || (opts.links === true && e.isSymbolicLink())).map((e) => e.name).sort();
}

/** Moves a file into a sub-folder, keeping its name (with a suffix if the name is taken); returns the new path. */
export async function moveInto(dir: string, name: string, sub: string, reason?: string): Promise<string> {
  const target = path.join(dir, sub);
  await makeFolders(target, PRIVATE_FOLDER_MODE);
  let dest = path.join(target, name);
  // Stryker disable next-line ArrowFunction: () => undefined is as falsy as () => false: the loop stops the same
  // lstat: a link left there (even one to nothing) takes the name too.
  for (let n = 1; await lstat(dest).then(() => true, () => false); n++) dest = path.join(target, `${name}.${n}`);
  if (reason !== undefined) {
    // Made new, private like every file ddcn writes: whatever has that name already (a link someone who writes the
    // inbox put there, to make ddcn write over the file it names) is removed first, the link and not what it names.
    const reasonFile = `${dest}.reason.txt`;
    const write = () => writeFile(reasonFile, `${reason}\n`, { encoding: 'utf8', flag: 'wx', mode: PRIVATE_FILE_MODE });
    await write().catch(async (err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await unlink(reasonFile);
      await write();
    });
  }
  await rename(path.join(dir, name), dest);
  return dest;
}
