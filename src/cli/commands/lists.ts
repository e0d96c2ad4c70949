import type { Command } from 'commander';
import { openBatchNote } from '../summary.js';
import { withContext } from '../context.js';
import { onDisk, requireCode, requireParticipants } from '../checks.js';
import { unitInProvince } from '../../db/codes.js';
import { importAtWork } from '../../db/import-runs.js';
import { UsageError, UserError } from '../../errors.js';
import { FILE_NAMES, provinceLabel, unitLabel } from '../../reports/list-paths.js';
import type { FileFailed } from '../../reports/list-sink.js';

const IMPORT_BESIDE_LISTS =
  'an import of participants was at work on this database while these lists were written: the people it changes are on ' +
  'them with their outcome before the change, or on none; once it is over (and the run after it), run ddcn lists again';

function workerCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > 64) throw new UsageError(`--workers must be a whole number from 0 to 64, got "${value}"`);
  return n;
}

export function registerLists(cli: Command, logLevel: () => string | undefined): void {
  cli
    .command('lists')
    .description('Mẫu 01 / Mẫu 02 Excel lists per managing unit (DIR/<ma_tinh>/<ma_don_vi>/mau01.xlsx, mau02.xlsx) and DIR/<ma_tinh>/de-nghi-ho-tro.xlsx')
    .requiredOption('--out <dir>', 'output directory')
    .option('--province <code>', 'only this province office (ma_tinh)')
    .option('--unit <code>', 'only this managing unit (ma_don_vi)')
    .option('--workers <n>', 'worker threads writing files (0: none; default: one per core when there are many units)', workerCount)
    .action(async (o: { out: string; province?: string; unit?: string; workers?: number }) => {
      const started = Date.now();
      // A file where the folder of lists should go: said before anything else (mkdir would fail with EEXIST).
      if (onDisk(o.out)?.isDirectory() === false) throw new UserError(`--out ${o.out} is a file; give a folder for the lists (it is made if missing)`);
      // Loaded here, not with the CLI: the Excel writer (exceljs) took ~0.6 s of every command's start.
      const { generateLists } = await import('../../pipeline/lists.js');
      const r = await withContext(logLevel(), async (deps, { database }) => {
        await requireParticipants(database);
        const province = await requireCode(database, 'province', o.province);
        const unit = await requireCode(database, 'unit', o.unit);
        // Both given and nobody of the unit in the province: nothing would be written, and 0 files is no answer.
        if (province !== undefined && unit !== undefined && !(await unitInProvince(database.db, unit, province))) {
          throw new UserError(`unit ${unit} has nobody in province ${province}; give --unit alone, or the unit's own --province`);
        }
        // r.open: the batch open at the lists' snapshot, whose outcomes are then partly on them, even if it ends
        // while they are written (a country's lists take minutes).
        // Lists written beside the night's import hold, of the people it changes, their outcome before the change
        // (or, PENDING, none): said, as of an open batch.
        const importBefore = await importAtWork(database.db);
        const lists = await generateLists(deps, { out: o.out, province: province ?? null, unit: unit ?? null, workers: o.workers });
        return { ...lists, province, unit, importSeen: importBefore || (await importAtWork(database.db)) };
      });
      const files = r.files.mau01 + r.files.mau02 + r.files['ho-tro'];
      if (r.pending !== undefined) {
        // Not a failure (on the first night of a file exchange everyone may still wait for the answers), but not a
        // bare "wrote 0 files" either: the operator is told why there is nothing to send, and what comes next.
        // The codes as on file (`--province 079` names the province the data writes 79): as the folders of lists.
        const scope = r.unit !== undefined ? `of unit ${r.unit}` : r.province !== undefined ? `of province ${r.province}` : 'on file';
        // A batch at work on them (lists run while the night's run is going): "Run ddcn run" would start a second.
        const next = r.open ? '' : 'Run ddcn run (people go on Mẫu 01 or Mẫu 02 once the registry has answered for them), then ddcn lists again';
        const removed = r.removed ? `${r.removed} outdated list file${r.removed === 1 ? ' was' : 's were'} removed from ${o.out}` : '';
        process.stderr.write(
          `no lists: nobody ${scope} is verified yet — ${r.pending} participant${r.pending === 1 ? ' waits' : 's wait'} for verification (PENDING).` +
            ([next, removed].some(Boolean) ? ` ${[next, removed].filter(Boolean).join('; ')}.` : '') + '\n',
        );
        if (r.open) {
          process.stderr.write(openBatchNote(r.open, 'its people go on Mẫu 01 or Mẫu 02 as it writes their outcomes', 'run ddcn lists again'));
        }
        if (r.importSeen) process.stderr.write(`${IMPORT_BESIDE_LISTS}\n`);
        if (r.notRemoved.length) throw new UserError(notRemoved(r.notRemoved));
        return;
      }
      process.stderr.write(
        `wrote ${files} file${files === 1 ? '' : 's'} for ${r.units} unit${r.units === 1 ? '' : 's'} to ${o.out} in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
          `${r.files.mau01} Mẫu 01 · ${r.files.mau02} Mẫu 02 · ${r.files['ho-tro']} đề nghị hỗ trợ · ${r.rows} row${r.rows === 1 ? '' : 's'}` +
          (r.removed ? ` · ${r.removed} outdated list file${r.removed === 1 ? '' : 's'} removed` : '') + '\n',
      );
      // A batch at work (or whose run was killed) has written some of its people's outcomes and not the others': the
      // lists are right as of now, but not the night's, which a clerk sending them out would take them for.
      if (r.open) {
        process.stderr.write(
          openBatchNote(r.open, 'the people it has not written yet are on these lists with their earlier outcome, or on none while PENDING', 'run ddcn lists again'),
        );
      }
      if (r.importSeen) process.stderr.write(`${IMPORT_BESIDE_LISTS}\n`);
      const problems = [r.failed.length ? notWritten(r.failed) : '', r.notRemoved.length ? notRemoved(r.notRemoved) : ''].filter(Boolean);
      if (problems.length) throw new UserError(problems.join('\n'));
    });
}

/** Shown at most, so that a broken disk does not bury the terminal; the log has every one. */
const LISTED = 20;

function notRemoved(files: Array<{ path: string; reason: string }>): string {
  const lines = files.slice(0, LISTED).map((f) => `  ${f.path}: ${f.reason}`);
  if (files.length > LISTED) lines.push(`  … and ${files.length - LISTED} more`);
  return (
    `${files.length} outdated list file${files.length === 1 ? '' : 's'} (of an earlier run, whose people are on no such list now) could not be removed:\n` +
    `${lines.join('\n')}\nRemove ${files.length === 1 ? 'it' : 'them'} (or fix the folder's permissions and run ddcn lists again), so that nobody sends an out-of-date list.`
  );
}

function notWritten(failed: FileFailed[]): string {
  const lines = failed.slice(0, LISTED).map((f) => `  ${FILE_NAMES[f.spec.form]} of ${f.spec.form === 'ho-tro' ? provinceLabel(f.spec.unit.maTinh) : unitLabel(f.spec.unit.maTinh, f.spec.unit.maDonVi)}: ${f.reason}`);
  if (failed.length > LISTED) lines.push(`  … and ${failed.length - LISTED} more (each is in the log as "list file not written")`);
  return (
    `${failed.length} list file${failed.length === 1 ? '' : 's'} could not be written; every other file was:\n${lines.join('\n')}\n` +
    'Fix the cause (permissions, disk space, a file or folder in the way) and run ddcn lists again.'
  );
}
