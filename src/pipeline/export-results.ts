import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { batchExists, resultsCopySql } from '../db/results.js';
import { cannotOpen, UserError } from '../errors.js';
import { once } from 'node:events';
import { prepareOutputFile, stdoutWritten } from './output-file.js';
import type { Deps } from './deps.js';

/**
 * Streams the results CSV to a file ('-' = stdout) without holding it in memory. Returns how many participants (or
 * outcomes of the batch) were written.
 */
export async function exportResults(deps: Deps, out: string, batchId: number | null): Promise<number> {
  if (batchId !== null && !(await batchExists(deps.db, batchId))) {
    throw new UserError(`there is no batch ${batchId}; \`ddcn run\` prints the id of each batch it starts`);
  }
  let target: NodeJS.WritableStream = process.stdout;
  if (out !== '-') {
    const file = createWriteStream(await prepareOutputFile(out, 'results.csv'));
    try {
      await once(file, 'ready');
    } catch (err) {
      throw cannotOpen(out, err);
    }
    target = file;
  }
  const rows = await deps.db.withSession(async (s) => {
    const copy = s.copyOut(resultsCopySql(batchId));
    await pipeline(copy, target, { end: out !== '-' });
    // stdout is not ended (the process writes on): its last rows written out before the count is reported, so that a
    // reader gone meanwhile (`| head`) is not told every row was written.
    if (out === '-') await stdoutWritten();
    // pg-copy-streams counts the rows COPY sent (its CopyToStreamQuery's rowCount, from the command tag).
    return (copy as unknown as { rowCount: number }).rowCount;
  });
  deps.log.info({ stage: 'export', batch: batchId, out: out === '-' ? 'stdout' : out, rows }, 'results exported');
  return rows;
}
