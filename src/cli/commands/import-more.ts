import type { Command } from 'commander';
import { withContext } from '../context.js';
import { requireParticipants, requireSomethingImported } from '../checks.js';
import { UserError } from '../../errors.js';

/** `ddcn import corrections` and `ddcn import targets`, added to the `import` command of commands/import.ts. */
export function registerImportMore(imp: Command, logLevel: () => string | undefined): void {
  imp
    .command('corrections')
    .description('apply a Mẫu 02 returned by a unit (columns 10–13); the people corrected are verified again by the next run')
    .argument('<file>', 'the returned Mẫu 02 (.xlsx)')
    .option('--rejects <path>', 'where to write rows that cannot be applied (default: FILE.rejects.csv)')
    .action(async (file: string, o: { rejects?: string }) => {
      const started = Date.now();
      // Loaded on use, as for `import participants` (the Excel reader).
      const { importCorrections } = await import('../../pipeline/corrections.js');
      const r = await withContext(logLevel(), async (deps, { database }) => {
        // On the wrong database (cron without DDCN_HOME: a new, empty one) every row was refused as "no participant
        // with this code", in the rejects the office sends back to the unit, and the sheet filed as failed.
        await requireParticipants(database);
        return importCorrections(deps, file, o.rejects);
      });
      process.stderr.write(
        `corrections from ${file} (unit ${r.unit}) in ${((Date.now() - started) / 1000).toFixed(1)} s: ${r.rowsRead} rows read · ` +
          `${r.corrected} people corrected (${r.fields} values) · ${r.unchanged} unchanged · ${r.empty} not filled in · ${r.rejected} rejected` +
          (r.rejected ? ` (see ${r.rejectsFile})` : '') + '\n',
      );
      // A Mẫu 02 always lists someone: a table read empty is a sheet changed beyond reading, not a unit with nothing
      // to say, and the nightly script must not file it as done.
      if (r.rowsRead === 0) {
        throw new UserError(
          `no person's row was read from ${file}: the table under the row numbering the columns (1) … (14) is empty or its ` +
            'column (2) holds no codes; compare it with the Mẫu 02 that `ddcn lists` wrote and have the unit fill in that one',
        );
      }
      // Every row filled in was refused: nothing of what the unit sent was applied, and the nightly script must not
      // file it as done either (a blank form, nothing filled in, is a unit with nothing to correct: exit 0).
      if (r.rejected > 0 && r.corrected === 0 && r.unchanged === 0) {
        throw new UserError(
          `nothing from ${file} was applied: all ${r.rejected} rows filled in were refused (the reasons are in ${r.rejectsFile}); ` +
            'send them back to the unit to correct, and import the corrected Mẫu 02 again',
        );
      }
    });

  imp
    .command('targets')
    .description('VssID account targets per province (CSV or .xlsx: ma_tinh,chi_tieu_vssid, optional ma_huyen)')
    .argument('<file>', 'targets file')
    .option('--rejects <path>', 'where to write rejected rows (default: FILE.rejects.csv)')
    .action(async (file: string, o: { rejects?: string }) => {
      const { importTargets } = await import('../../pipeline/targets.js');
      const r = await withContext(logLevel(), (deps) => importTargets(deps, file, o.rejects));
      process.stderr.write(
        `targets from ${file}: ${r.rowsRead} rows read · ${r.imported} imported · ${r.rejected} rejected` +
          (r.rejected ? ` (see ${r.rejectsFile})` : '') + '\n',
      );
      requireSomethingImported(file, r, 'no target was imported; check the file');
    });
}
