import type { Command } from 'commander';
import { positiveInt } from '../config.js';
import { withContext } from '../context.js';
import { requireParticipants } from '../checks.js';
import { exportResults } from '../../pipeline/export-results.js';

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
      const rows = await withContext(logLevel(), async (deps, { database }) => {
        await requireParticipants(database);
        return exportResults(deps, o.out, o.batch ?? null);
      });
      process.stderr.write(`exported ${rows} result${rows === 1 ? '' : 's'}${o.batch ? ` of batch ${o.batch}` : ''} to ${o.out === '-' ? 'stdout' : o.out}\n`);
    });

}
