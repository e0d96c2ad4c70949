import type { Command } from 'commander';
import { withContext } from '../context.js';

export function registerMigrate(cli: Command, logLevel: () => string | undefined): void {
  cli
    .command('migrate')
    .description('apply database migrations (every command also does this on start)')
    .action(async () => {
      await withContext(logLevel(), async (_deps, { database }) => {
        // Opening the database applies what is missing (every command does): those are the ones to name.
        const applied = database.migrated;
        process.stderr.write(applied.length ? `applied ${applied.join(', ')}\n` : 'database schema is up to date\n');
      });
    });
}
