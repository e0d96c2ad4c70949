import { createWriteStream } from 'node:fs';
import { realpath, rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { batchExists, resultsCopySql } from '../db/results.js';
import { cannotOpen, cannotWrite, fileSystemError, UserError } from '../errors.js';
import { once } from 'node:events';
import { prepareOutputFile, stdoutWritten } from './output-file.js';
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
  const tmp = `${file}.${process.pid}.tmp`;
  const stream = createWriteStream(tmp);
  try {
    await once(stream, 'ready');
  } catch (err) {
    throw cannotOpen(out, err);
  }
  try {
    const rows = await copyResults(deps, stream, batchId, out);
    await rename(tmp, file);
    return rows;
  } catch (err) {
    stream.destroy();
    await rm(tmp, { force: true });
    // A write that failed (a full disk, a quota) is said as for every output the user named.
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
