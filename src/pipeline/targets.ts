import path from 'node:path';
import { finishImportRun, startImportRun } from '../db/import-runs.js';
import { insertTargets, type Target } from '../db/targets.js';
import { isCccdProvinceCode, provinceKey } from '../domain/provinces.js';
import { UserError } from '../errors.js';
import type { Deps } from './deps.js';
import { openTable } from './read-table.js';
import { controlProblem, firstRowForMessage } from './table-row.js';
import { RejectsFile } from './rejects-file.js';

export interface TargetsResult {
  importId: number;
  rowsRead: number;
  imported: number;
  rejected: number;
  rejectsFile: string;
}

export const TARGET_COLUMNS = ['ma_tinh', 'chi_tieu_vssid', 'ma_huyen'] as const;

/** A whole number of accounts: `250000`, or grouped by thousands as people write it (`250.000`, `250,000`, `250 000`). */
export function parseTarget(raw: string): number | null {
  const s = raw.trim();
  const digits = /^\d+$/.test(s) ? s : /^\d{1,3}([.,\s]\d{3})+$/.test(s) ? s.replace(/[.,\s]/g, '') : null;
  if (digits === null) return null;
  const n = Number(digits);
  return Number.isSafeInteger(n) && n <= 2_147_483_647 ? n : null;
}

/** `ddcn import targets FILE`: VssID account targets per province (Phụ lục 03), optionally per district. */
export async function importTargets(deps: Deps, file: string, rejectsFile = `${file}.rejects.csv`): Promise<TargetsResult> {
  const table = await openTable(file);
  const col = (name: string) => table.header.indexOf(name);
  if (col('ma_tinh') < 0 || col('chi_tieu_vssid') < 0) {
    await table.close?.();
    throw new UserError(`${file}: needs the columns ma_tinh,chi_tieu_vssid (and optionally ma_huyen). Found: ${firstRowForMessage(table.header, ['ma_tinh', 'ma_huyen', 'chi_tieu_vssid'])}`);
  }
  // With a byte-order mark, as the corrections' rejects: Excel then opens the Vietnamese text as UTF-8.
  const rejects = await RejectsFile.open(rejectsFile, ['line', 'reason', ...table.header], { bom: true, input: file }).catch(async (err: unknown) => {
    await table.close?.();
    throw err;
  });
  let rowsRead = 0;
  const targets: Target[] = [];
  const seen = new Map<string, number>();
  try {
    for await (const row of table.rows) {
      rowsRead += 1;
      const cell = (name: string) => (col(name) < 0 ? '' : (row.cells[col(name)] ?? '').trim());
      const given = cell('ma_tinh');
      // Stored in the 3-digit form (79 and 079 are one province; Mẫu 03 matches either form of the participants').
      const maTinh = provinceKey(given);
      const maHuyen = cell('ma_huyen');
      const chiTieu = parseTarget(cell('chi_tieu_vssid'));
      const key = `${maTinh}\u0000${maHuyen}`;
      // A control character anywhere rejects a target's row (a participant's is judged field by field).
      const reason = (row.problem ?? (row.control ? controlProblem(row.cells) : undefined))
        ?? (maTinh === '' ? 'ma_tinh is empty'
          : !isCccdProvinceCode(maTinh) ? `no province ${given}: ma_tinh is a province's code, 01 to 96 (or 001 to 096)`
          : chiTieu === null ? `chi_tieu_vssid must be a whole number of accounts, got "${cell('chi_tieu_vssid')}"`
          : seen.has(key) ? `duplicate ma_tinh/ma_huyen: already on line ${seen.get(key)} of this file`
          : null);
      if (reason) {
        await rejects.add(row.line, reason, row.cells);
        continue;
      }
      seen.set(key, row.line);
      targets.push({ maTinh, maHuyen, chiTieu: chiTieu! });
    }
  } finally {
    await rejects.close();
  }
  const rejected = rejects.count;
  const now = deps.now();
  const importId = await deps.db.withTransaction(async (tx) => {
    const id = await startImportRun(tx, 'targets', path.resolve(file), now);
    await finishImportRun(tx, id, now, { rowsRead, inserted: targets.length, rejected });
    if (targets.length) await insertTargets(tx, { importId: id, now, targets });
    return id;
  });
  deps.log.info({ stage: 'targets', importId, rowsRead, imported: targets.length, rejected }, 'VssID targets imported');
  return { importId, rowsRead, imported: targets.length, rejected, rejectsFile };
}
