import { createWriteStream } from 'node:fs';
import { chmod, chown, realpath, rename, rm, stat } from 'node:fs/promises';
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
  const prepared = await prepareOutputFile(out, 'results.csv');
  // A symbolic link (a share's `results.csv` pointing at the current file) is written through, as before, not
  // replaced by a file of its own.
  const file = await realpath(prepared).catch(() => prepared);
  const before = await stat(file).catch(() => null);
  // A named pipe (a script reading the export as it comes) or a device (/dev/null) is written into, as before: a
  // file renamed over it would replace the pipe or the device, and its reader would wait for ever.
  if (before && !before.isFile()) return exportInPlace(deps, file, batchId, out);
  const tmp = `${file}.${process.pid}.tmp`;
  // Owner-only until it has the permissions of the file it replaces; a new file gets the umask's, as before.
  const stream = createWriteStream(tmp, { mode: before ? 0o600 : 0o666 });
  // Removed if the process is ended before it is renamed (Ctrl-C): it holds the results, ID numbers with them.
  const kept = removedOnExit(tmp);
  try {
    await once(stream, 'ready');
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
    // The file replaced keeps its permissions and owner (it holds ID numbers: an operator who made it readable by its
    // owner only must not find it readable by everyone after the next export, under the umask 022).
    if (before) {
      await chown(tmp, before.uid, before.gid).catch(() => undefined); // only root may give a file away
      await chmod(tmp, before.mode & 0o7777);
    }
    const rows = await copyResults(deps, stream, batchId, out);
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
