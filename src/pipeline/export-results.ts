import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, chown, lstat, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { PRIVATE_FILE_MODE } from '../make-folders.js';
import { pipeline } from 'node:stream/promises';
import { batchExists, resultsCopySql } from '../db/results.js';
import { cannotWrite, fileSystemError, UserError } from '../errors.js';
import { once } from 'node:events';
import { prepareOutputFile, removedOnExit, stdoutWritten } from './output-file.js';
import type { Deps } from './deps.js';

/**
 * Streams the results CSV to a file ('-' = stdout) without holding it in memory. Returns how many participants (or
 * outcomes of the batch) were written.
 *
 * A file is written under a temporary name next to it and renamed into place once whole, as the lists and Mẫu 03
 * are: an export that fails half-way (a full disk, the database lost) leaves the previous night's results as they
 * were, never a truncated file under the name a script reads.
 */
export async function exportResults(deps: Deps, out: string, batchId: number | null): Promise<number> {
  if (batchId !== null && !(await batchExists(deps.db, batchId))) {
    throw new UserError(`there is no batch ${batchId}; \`ddcn run\` prints the id of each batch it starts`);
  }
  if (out === '-') return copyResults(deps, process.stdout, batchId, out);
  // One of this process's descriptors (`--out /dev/stdout`, /dev/fd/3): written through it, as `-` is. What it
  // resolves to may be a file a shell opened (`{ date; ddcn export results --out /dev/stdout; } >> night.log`), which
  // a file renamed over it replaced: what was in it before lost, what the shell wrote after going to the old one.
  const fd = descriptorOf(path.resolve(out));
  if (fd === 1) return copyResults(deps, process.stdout, batchId, '-');
  if (fd !== null) return copyResults(deps, createWriteStream(out, { fd, autoClose: false }), batchId, out);
  const prepared = await prepareOutputFile(out, 'results.csv');
  // A symbolic link (a share's `results.csv` pointing at the current file) is written through, as before, not
  // replaced by a file of its own; so too one whose file is not there yet.
  const file = await followLinks(prepared).catch((err: unknown) => {
    throw cannotWrite(out, err);
  });
  const before = await stat(file).catch(() => null);
  // A named pipe (a script reading the export as it comes) or a device (/dev/null) is written into, as before: a
  // file renamed over it would replace the pipe or the device, and its reader would wait for ever.
  if (before && !before.isFile()) return exportInPlace(deps, file, batchId, out);
  const tmp = `${file}.${process.pid}.tmp`;
  // Removed if the process is ended before it is renamed (Ctrl-C): it holds the results, ID numbers with them.
  const kept = removedOnExit(tmp);
  let stream: WriteStream;
  try {
    stream = await openTemporary(tmp);
  } catch (err) {
    kept();
    // A file the user may write in a folder it may not (a share's results.csv made for it by the administrator):
    // written in place, as before the temporary file, rather than not at all.
    const code = (err as NodeJS.ErrnoException).code;
    if (before && (code === 'EACCES' || code === 'EPERM')) {
      deps.log.warn({ out, code }, 'cannot make a temporary file beside the output: written in place (a failure half-way leaves it cut short)');
      return exportInPlace(deps, file, batchId, out);
    }
    throw cannotWrite(out, err);
  }
  try {
    // The mode it ends with: the replaced file's, or for a new file the umask's (as made) without the others' read
    // (PRIVATE_FILE_MODE: ID numbers are not for every user of the machine).
    const mode = before ? before.mode & 0o7777 : (await stat(tmp)).mode & PRIVATE_FILE_MODE;
    // Owner-only while it is written: one left by a SIGKILL (the OOM killer, a service manager's stop timeout), which
    // no exit handler removes, was readable by every user under the umask 022, one more each time.
    await chmod(tmp, 0o600);
    const rows = await copyResults(deps, stream, batchId, out);
    // The file replaced keeps its permissions and owner (it holds ID numbers: an operator who made it readable by its
    // owner only must not find it readable by everyone after the next export, under the umask 022).
    if (before) await chown(tmp, before.uid, before.gid).catch(() => undefined); // only root may give a file away
    await chmod(tmp, mode);
    await rename(tmp, file);
    kept();
    return rows;
  } catch (err) {
    stream.destroy();
    await rm(tmp, { force: true });
    kept();
    // A write that failed (a full disk, a quota) is said as for every output the user named.
    throw fileSystemError(err) ? cannotWrite(out, err) : err;
  }
}

/**
 * Makes the temporary file, never through what is already at its name: in a shared folder a symbolic link put there
 * under the name (the pid is easy to guess) had the results written where it pointed, and was then renamed over the
 * output. A file left there by an earlier process of the same pid (a SIGKILL, a reboot since) is removed first.
 */
async function openTemporary(tmp: string): Promise<WriteStream> {
  for (let attempt = 0; ; attempt++) {
    const stream = createWriteStream(tmp, { flags: 'wx' });
    try {
      await once(stream, 'ready');
      return stream;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      await rm(tmp, { force: true });
    }
  }
}

/** The descriptor of this process that `file` names (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N), or null. */
function descriptorOf(file: string): number | null {
  const m = /^\/(?:dev\/(?:(stdout)|(stderr)|fd\/(\d+))|proc\/self\/fd\/(\d+))$/.exec(file);
  if (!m) return null;
  return m[1] ? 1 : m[2] ? 2 : Number(m[3] ?? m[4]);
}

/**
 * Where `file` leads through its symbolic links: its real path, or, when there is no file at the end yet, the path
 * the last link names (a link to the file to be made). A loop of links is an error (ELOOP), as realpath says it.
 */
async function followLinks(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let at = file;
  for (let hops = 0; hops < 40; hops++) {
    if (!(await lstat(at).catch(() => null))?.isSymbolicLink()) return at;
    at = path.resolve(path.dirname(at), await readlink(at));
  }
  throw Object.assign(new Error(`ELOOP: too many symbolic links, ${file}`), { code: 'ELOOP' });
}

/** Writes into `file` itself (a pipe, a device): what was written before a failure stays, as it can only. */
async function exportInPlace(deps: Deps, file: string, batchId: number | null, out: string): Promise<number> {
  const stream = createWriteStream(file);
  try {
    await once(stream, 'ready');
  } catch (err) {
    throw cannotWrite(out, err);
  }
  try {
    return await copyResults(deps, stream, batchId, out);
  } catch (err) {
    stream.destroy();
    throw fileSystemError(err) ? cannotWrite(out, err) : err;
  }
}

async function copyResults(deps: Deps, target: NodeJS.WritableStream, batchId: number | null, out: string): Promise<number> {
  const toStdout = out === '-';
  const rows = await deps.db.withSession(async (s) => {
    const copy = s.copyOut(resultsCopySql(batchId));
    await pipeline(copy, target, { end: !toStdout });
    // stdout is not ended (the process writes on): its last rows written out before the count is reported, so that a
    // reader gone meanwhile (`| head`) is not told every row was written.
    if (toStdout) await stdoutWritten();
    // pg-copy-streams counts the rows COPY sent (its CopyToStreamQuery's rowCount, from the command tag).
    return (copy as unknown as { rowCount: number }).rowCount;
  });
  deps.log.info({ stage: 'export', batch: batchId, out: toStdout ? 'stdout' : out, rows }, 'results exported');
  return rows;
}
