import path from 'node:path';
import { finishImportRun, startImportRun } from '../db/import-runs.js';
import { districtHasParticipants, insertTargets, type Target } from '../db/targets.js';
import { cccdProvinceName, districtKey, isCccdProvinceCode, provinceKey } from '../domain/provinces.js';
import { districtName, provinceOfDistrict } from '../reports/districts.js';
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

/**
 * Why a target cannot be set for this district of the province, or null when it can. A district of the province in
 * the GSO list of 2019 (reference/don-vi-hanh-chinh.csv) can. A code outside it is usually a typo, and a typo's target
 * would not be seen for what it is: a row of its own on Mẫu 03 ("Quận, huyện mã 706") and a share in the province's
 * sum. Yet the list misses the districts made since 2019, and the participants' files carry their codes (the demo
 * data too): such a code is taken when someone of the province is recorded in it — Mẫu 03 then has its row with
 * its people — rather than refused, which would leave a real district without a target until a new release of the
 * list. So a file is best imported after the participants: a new district's target imported first is refused, and
 * the next import of the file (after the participants') takes it.
 */
async function districtProblem(deps: Deps, maTinh: string, maHuyen: string, known: Map<string, boolean>): Promise<string | null> {
  if (districtName(maTinh, maHuyen) !== null) return null;
  const key = `${maTinh}/${maHuyen}`;
  if (!known.has(key)) known.set(key, await districtHasParticipants(deps.db, maTinh, maHuyen));
  if (known.get(key)) return null;
  const other = provinceOfDistrict(maHuyen);
  if (other !== null) {
    return `district ${maHuyen} is not of province ${maTinh} but of ${other} (${cccdProvinceName(other) ?? other}): check ma_tinh and ma_huyen`;
  }
  return `no district ${maHuyen} in province ${maTinh}: ma_huyen is the 3-digit code of one of its districts in reference/don-vi-hanh-chinh.csv, or of a newer one its participants are recorded in (import them first)`;
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
  const inData = new Map<string, boolean>(); // district codes outside the list: whether participants are recorded in them
  try {
    for await (const row of table.rows) {
      rowsRead += 1;
      const cell = (name: string) => (col(name) < 0 ? '' : (row.cells[col(name)] ?? '').trim());
      const given = cell('ma_tinh');
      // Stored in the 3-digit form (79 and 079 are one province; Mẫu 03 matches either form of the participants').
      const maTinh = provinceKey(given);
      // Likewise 1 or 01 for 001: Mẫu 03 would show a district "mã 1" beside Ba Đình (001), and miss duplicates.
      const maHuyen = districtKey(cell('ma_huyen'));
      const chiTieu = parseTarget(cell('chi_tieu_vssid'));
      const key = `${maTinh}\u0000${maHuyen}`;
      // A control character anywhere rejects a target's row (a participant's is judged field by field).
      const reason = (row.problem ?? (row.control ? controlProblem(row.cells) : undefined))
        ?? (maTinh === '' ? 'ma_tinh is empty'
          : !isCccdProvinceCode(maTinh) ? `no province ${given}: ma_tinh is a province's code, 01 to 96 (or 001 to 096)`
          : chiTieu === null ? `chi_tieu_vssid must be a whole number of accounts, got "${cell('chi_tieu_vssid')}"`
          : null)
        ?? (maHuyen === '' ? null : await districtProblem(deps, maTinh, maHuyen, inData))
        ?? (seen.has(key) ? `duplicate ma_tinh/ma_huyen: already on line ${seen.get(key)} of this file` : null);
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
  // Districts outside the 2019 list, taken for their participants: for whoever wonders at a "Quận, huyện mã …" row.
  const unlisted = [...inData].filter(([, found]) => found).map(([district]) => district);
  deps.log.info({ stage: 'targets', importId, rowsRead, imported: targets.length, rejected, unlisted }, 'VssID targets imported');
  return { importId, rowsRead, imported: targets.length, rejected, rejectsFile };
}
