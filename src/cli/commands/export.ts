import type { Command } from 'commander';
import { openBatchNote } from '../summary.js';
import { positiveInt } from '../config.js';
import { withContext } from '../context.js';
import { requireParticipants } from '../checks.js';
import { exportResults } from '../../pipeline/export-results.js';
import { batchStillVerifying, openBatchFor } from '../../db/results.js';

export function registerExport(cli: Command, logLevel: () => string | undefined): void {
  cli
    .command('export')
    .description('write data out of ddcn')
    .command('results')
    .description('CSV of the current outcome per participant: ma_so_bhxh,status,fields,so_ddcn')
    .requiredOption('--out <file>', "output CSV file ('-' for stdout)")
    .option('--batch <id>', 'the outcomes of one batch instead of the current state', positiveInt('--batch'))
    .action(async (o: { out: string; batch?: number }) => {
      // On a database without participants (the wrong DDCN_HOME or DATABASE_URL), said so rather than 0 results.
      const { rows, open, current } = await withContext(logLevel(), async (deps, { database }) => {
        await requireParticipants(database);
        // Looked at before the outcomes are read: a batch still open then is said so, even if it ends meanwhile.
        const open = o.batch === undefined ? null : await batchStillVerifying(deps.db, o.batch);
        // The current state while a batch is open: partly that batch's, as the lists say of themselves (lists.ts).
        const current = o.batch === undefined ? await openBatchFor(deps.db, null) : null;
        return { rows: await exportResults(deps, o.out, o.batch ?? null), open, current };
      });
      process.stderr.write(`exported ${rows} result${rows === 1 ? '' : 's'}${o.batch ? ` of batch ${o.batch}` : ''} to ${o.out === '-' ? 'stdout' : o.out}\n`);
      // A batch still verifying has the outcomes of the chunks verified so far, before its conflicts are settled: not
      // the batch's result, which a script archiving it must not take them for.
      if (open) process.stderr.write(`${unfinishedNote(o.batch!, open)}\n`);
      if (current) {
        process.stderr.write(openBatchNote(current, 'the people it has not written yet have their earlier outcome in this file', 'export again'));
      }
    });

}

/** What an export of a batch still verifying holds, and what to do. */
export function unfinishedNote(id: number, b: { chunks: number; verified: number }): string {
  return (
    `batch ${id} is not finished (${b.verified} of ${b.chunks} chunks verified): these are its outcomes so far — the people ` +
    `of the chunks not verified yet are missing, and a MATCHED may still become CONFLICT. Let its \`ddcn run\` finish it ` +
    `(or run \`ddcn run\` again with the registry flags it was started with: it resumes the batch), then export again.`
  );
}
