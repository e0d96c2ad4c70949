import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { batchExists, resultsCopySql } from '../db/results.js';
import { cannotOpen, UserError } from '../errors.js';
import { once } from 'node:events';
import { prepareOutputFile } from './output-file.js';
import type { Deps } from './deps.js';

/** Streams the results CSV to a file ('-' = stdout) without holding it in memory. */
export async function exportResults(deps: Deps, out: string, batchId: number | null): Promise<void> {
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
  await deps.db.withSession(async (s) => {
    await pipeline(s.copyOut(resultsCopySql(batchId)), target, { end: out !== '-' });
  });
  deps.log.info({ stage: 'export', batch: batchId, out: out === '-' ? 'stdout' : out }, 'results exported');
}
