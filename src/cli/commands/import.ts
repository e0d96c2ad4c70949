import type { Command } from 'commander';
import { withContext } from '../context.js';
import { requireSomethingImported } from '../checks.js';

/** `ddcn import …`; returns the `import` command so other inputs (corrections, targets) can be added to it. */
export function registerImport(cli: Command, logLevel: () => string | undefined): Command {
  const imp = cli.command('import').description('load data into ddcn');
  imp
    .command('participants')
    .description('load or refresh participants from a CSV (UTF-8) or .xlsx file; bad rows go to a rejects file')
    .argument('<file>', 'participants file (.csv or .xlsx)')
    .option('--rejects <path>', 'where to write rejected rows (default: FILE.rejects.csv)')
    .action(async (file: string, o: { rejects?: string }) => {
      const started = Date.now();
      // Loaded here, not with the CLI: the readers (exceljs for .xlsx) took ~0.6 s of every other command's start.
      const { importParticipants } = await import('../../pipeline/import-participants.js');
      const r = await withContext(logLevel(), (deps) => importParticipants(deps, file, o.rejects));
      // A file that gave nothing fails with its own line, without an `imported …` line before it that reads as a success.
      requireSomethingImported(file, r, 'nothing was imported; check the export');
      process.stderr.write(
        `imported ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${r.rowsRead} rows read · ${r.inserted} new · ` +
          `${r.updated} updated · ${r.unchanged} unchanged · ${r.rejected} rejected` +
          (r.rejected ? ` (see ${r.rejectsFile})` : '') +
          // An import adds and updates, never removes: people the file left out stay as they were, and are counted here.
          (r.notInFile ? ` · ${r.notInFile} on file not in this file (kept as they were)` : '') + '\n',
      );
    });

  return imp;
}
