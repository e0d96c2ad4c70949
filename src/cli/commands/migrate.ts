import type { Command } from 'commander';
import { withContext } from '../context.js';
import { migrate } from '../../db/migrate.js';

export function registerMigrate(cli: Command, logLevel: () => string | undefined): void {
  cli
    .command('migrate')
    .description('apply database migrations (every command also does this on start)')
    .action(async () => {
      await withContext(logLevel(), async (deps, { database }) => {
        // Opening the database applied what was missing already: those are the ones to name.
        const applied = [...database.migrated, ...(await migrate(deps.db))];
        process.stderr.write(applied.length ? `applied ${applied.join(', ')}\n` : 'database schema is up to date\n');
      });
    });
}
