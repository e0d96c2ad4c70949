import type { Queryable } from './pool.js';
import type { Sex } from '../domain/types.js';
import type { Finding } from '../domain/finding.js';
import { ddcnProblem, precisionProblem } from '../domain/correction-rules.js';
import { nameKey } from '../domain/names.js';

/** A returned Mẫu 02 row after validation: the values the unit filled in, null where it left a column empty. */
export interface CorrectionInput {
  line: number;
  maSoBhxh: string;
  hoTen: string | null;
  ngaySinh: string | null; // date key
  gioiTinh: Sex | null;
  soGiayTo: string | null;
  numberRepaired: boolean; // a lost leading zero was put back
  rawNumber: string;
}

export type CorrectionOutcome =
  | { line: number; kind: 'applied'; fields: number }
  | { line: number; kind: 'unchanged' }
  | { line: number; kind: 'rejected'; reason: string };

interface Current {
  ma_so_bhxh: string;
  ho_ten: string;
  ngay_sinh: string | null;
  gioi_tinh: Sex | null;
  so_giay_to: string | null;
  ma_don_vi: string | null;
  status: string;
  data_version: number;
  findings: Finding[];
  /** The date of birth the registry disclosed at the last verification, if it did (a date key). */
  registry_dob: string | null;
  /** The fields the last verification found different. */
  status_fields: string[];
}

type CorrectedField = 'name' | 'dob' | 'sex' | 'id_number';

interface Change {
  field: CorrectedField;
  old: string | null;
  new: string;
}

/**
 * Plan II.5 for one chunk of rows, in the caller's transaction: each row is checked against the record (same
 * unit, not already confirmed) and its changes are applied with their history — old value, new value, file,
 * row, time — and a new data_version, which puts the person back in line for verification (II.6). A replaced
 * number goes to number_history so lookup still finds it. Rows are applied whole or rejected whole.
 */
export async function applyCorrections(
  tx: Queryable,
  args: { importId: number; unit: string; sourceFile: string; now: Date; rows: CorrectionInput[] },
): Promise<CorrectionOutcome[]> {
  const current = new Map(
    (
      await tx.query<Current>(
        `SELECT p.ma_so_bhxh, p.ho_ten, p.ngay_sinh, p.gioi_tinh, p.so_giay_to, p.ma_don_vi, p.status, p.data_version, p.findings, p.status_fields,
                (SELECT v.detail->'registry'->>'ngaySinh' FROM verification v
                  WHERE v.batch_id = p.last_batch_id AND v.ma_so_bhxh = p.ma_so_bhxh) AS registry_dob
           FROM participant p WHERE p.ma_so_bhxh = ANY($1::text[])
          ORDER BY p.ma_so_bhxh FOR UPDATE OF p`, // locked in code order, as an import and the write step take them: no deadlock
        [args.rows.map((r) => r.maSoBhxh)],
      )
    ).rows.map((c) => [c.ma_so_bhxh, c]),
  );

  const outcomes: CorrectionOutcome[] = [];
  const updates: Array<{ cur: Current; row: CorrectionInput; changes: Change[] }> = [];
  for (const row of args.rows) {
    const cur = current.get(row.maSoBhxh);
    const refused = !cur ? `Không có người tham gia mã số BHXH ${row.maSoBhxh}`
      : cur.ma_don_vi !== args.unit ? `Mã số BHXH ${row.maSoBhxh} không thuộc đơn vị ${args.unit}`
        : cur.status === 'MATCHED' ? 'Người tham gia đã được xác thực khớp với CSDL quốc gia về dân cư: thông tin không điều chỉnh qua Mẫu số 02'
          : recordProblem(row, cur, args.now);
    if (refused !== null || !cur) {
      outcomes.push({ line: row.line, kind: 'rejected', reason: refused ?? '' });
      continue;
    }
    const changes: Change[] = [];
    // The same name for the registry (case, stray spaces, where the tone mark sits) is no correction.
    if (row.hoTen !== null && nameKey(row.hoTen) !== nameKey(cur.ho_ten)) changes.push({ field: 'name', old: cur.ho_ten || null, new: row.hoTen });
    if (row.ngaySinh !== null && row.ngaySinh !== cur.ngay_sinh) changes.push({ field: 'dob', old: cur.ngay_sinh, new: row.ngaySinh });
    if (row.gioiTinh !== null && row.gioiTinh !== cur.gioi_tinh) changes.push({ field: 'sex', old: cur.gioi_tinh, new: row.gioiTinh });
    if (row.soGiayTo !== null && row.soGiayTo !== cur.so_giay_to) changes.push({ field: 'id_number', old: cur.so_giay_to, new: row.soGiayTo });
    if (changes.length === 0) outcomes.push({ line: row.line, kind: 'unchanged' });
    else {
      updates.push({ cur, row, changes });
      outcomes.push({ line: row.line, kind: 'applied', fields: changes.length });
    }
  }
  // Stryker disable next-line ConditionalExpression: a shortcut: the statements that follow change no row when there is none to change
  if (updates.length === 0) return outcomes;

  const next = (u: (typeof updates)[number], field: CorrectedField, old: string | null) =>
    u.changes.find((c) => c.field === field)?.new ?? old;
  // Findings about a field the unit corrected no longer hold; a repaired number is noted like on import.
  const findings = (u: (typeof updates)[number]) => {
    const fixed = new Set<string>(u.changes.map((c) => c.field));
    const kept = u.cur.findings.filter((f) => !fixed.has(f.field));
    if (fixed.has('id_number') && u.row.numberRepaired) kept.push({ field: 'id_number', code: 'repaired', value: u.row.rawNumber });
    return JSON.stringify(kept);
  };
  await tx.query(
    `UPDATE participant p SET ho_ten = u.ho_ten, ngay_sinh = u.ngay_sinh, gioi_tinh = u.gioi_tinh, so_giay_to = u.so_giay_to,
            findings = u.findings, data_version = p.data_version + 1, updated_at = $1::timestamptz
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
            AS u(code, ho_ten, ngay_sinh, gioi_tinh, so_giay_to, findings)
      WHERE p.ma_so_bhxh = u.code`,
    [
      args.now,
      updates.map((u) => u.cur.ma_so_bhxh),
      updates.map((u) => next(u, 'name', u.cur.ho_ten)),
      updates.map((u) => next(u, 'dob', u.cur.ngay_sinh)),
      updates.map((u) => next(u, 'sex', u.cur.gioi_tinh)),
      updates.map((u) => next(u, 'id_number', u.cur.so_giay_to)),
      updates.map(findings),
    ],
  );

  const history = updates.flatMap((u) => u.changes.map((c) => ({ u, c })));
  await tx.query(
    `INSERT INTO participant_correction (import_id, ma_so_bhxh, field, old_value, new_value, source_file, source_row, data_version, changed_at)
     SELECT $1::bigint, h.code, h.field, h.old_value, h.new_value, $2::text, h.line, h.version, $3::timestamptz
       FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::int[]) AS h(code, field, old_value, new_value, line, version)`,
    [
      args.importId, args.sourceFile, args.now,
      history.map((h) => h.u.cur.ma_so_bhxh), history.map((h) => h.c.field), history.map((h) => h.c.old), history.map((h) => h.c.new),
      history.map((h) => h.u.row.line), history.map((h) => h.u.cur.data_version + 1),
    ],
  );

  const renumbered = updates.flatMap((u) => u.changes.filter((c) => c.field === 'id_number' && c.old !== null).map((c) => ({ code: u.cur.ma_so_bhxh, c })));
  // Stryker disable next-line ConditionalExpression: a shortcut: the history insert of no numbers inserts nothing
  if (renumbered.length) {
    await tx.query(
      `INSERT INTO number_history (ma_so_bhxh, so_cu, so_moi, source, batch_id, changed_at)
       SELECT n.code, n.so_cu, n.so_moi, 'correction', NULL, $1::timestamptz FROM unnest($2::text[], $3::text[], $4::text[]) AS n(code, so_cu, so_moi)
       ON CONFLICT (ma_so_bhxh, so_cu) DO NOTHING`,
      [args.now, renumbered.map((r) => r.code), renumbered.map((r) => r.c.old), renumbered.map((r) => r.c.new)],
    );
  }
  // A number the export replaced (the import's row, db/participants.ts) that the unit gives back is the number on
  // file again, no former one: as when the export gives it back (no row of the import's holds the number on file).
  // Left, it took the place of the row the run's write step puts there as the ĐDCN replaces the number (ON CONFLICT
  // DO NOTHING, db/verifications.ts), and an export then giving that number overwrote the ĐDCN with it.
  const given = updates.flatMap((u) => u.changes.filter((c) => c.field === 'id_number').map((c) => ({ code: u.cur.ma_so_bhxh, number: c.new })));
  // Stryker disable next-line ConditionalExpression: a shortcut: the delete of no numbers deletes nothing
  if (given.length) {
    await tx.query(
      `DELETE FROM number_history h USING unnest($1::text[], $2::text[]) AS n(code, number)
        WHERE h.ma_so_bhxh = n.code AND h.so_cu = n.number AND h.source = 'import'`,
      [given.map((g) => g.code), given.map((g) => g.number)],
    );
  }
  return outcomes;
}

/**
 * Whether the registry may have compared the person's date of birth with its own: not when the last verification
 * had no number to ask by (MISSING_ID) or a number the registry did not know (MISMATCHED on the number alone), nor
 * before any verification. A record the registry refused to check as it stood counts as compared: an earlier
 * verification may have confirmed its date, and only the refusal is on record.
 */
const dobCompared = (cur: Current): boolean =>
  (cur.status === 'MISMATCHED' || cur.status === 'CONFLICT') && !(cur.status_fields.length === 1 && cur.status_fields[0] === 'id_number');

/** Why a row cannot correct this record (src/domain/correction-rules.ts), or null. */
function recordProblem(row: CorrectionInput, cur: Current, now: Date): string | null {
  const reasons = [
    row.ngaySinh !== null ? precisionProblem(row.ngaySinh, { key: cur.ngay_sinh, dobCompared: dobCompared(cur) }, cur.registry_dob) : null,
    row.soGiayTo !== null && row.soGiayTo !== cur.so_giay_to
      ? ddcnProblem(row.soGiayTo, { sex: row.gioiTinh ?? cur.gioi_tinh, dobKey: row.ngaySinh ?? cur.ngay_sinh }, now)
      : null,
  ].filter((r): r is string => r !== null);
  return reasons.length ? reasons.join('; ') : null;
}

/**
 * How a corrected value is known again: `field value`, a name by its comparison key (the same name for the registry
 * whatever its capitals, spaces or tone placement — one stored before names were capitalised too).
 */
export const correctionKey = (field: string, value: string): string => `${field} ${field === 'name' ? nameKey(value) : value}`;

/**
 * What corrections of `codes` made from `since` on replaced: per person, per field (`name`, `dob`, `sex`,
 * `id_number`), the values before them (null: none) — what a list issued before them showed.
 */
export async function replacedSince(q: Queryable, codes: string[], since: Date): Promise<Map<string, Map<string, Array<string | null>>>> {
  const res = await q.query<{ ma_so_bhxh: string; field: string; old_value: string | null }>(
    'SELECT ma_so_bhxh, field, old_value FROM participant_correction WHERE ma_so_bhxh = ANY($1::text[]) AND changed_at >= $2',
    [codes, since],
  );
  const out = new Map<string, Map<string, Array<string | null>>>();
  for (const r of res.rows) {
    const fields = out.get(r.ma_so_bhxh) ?? new Map<string, Array<string | null>>();
    fields.set(r.field, [...(fields.get(r.field) ?? []), r.old_value]);
    out.set(r.ma_so_bhxh, fields);
  }
  return out;
}

/** The corrections on record for these people, as correctionKey keys (what a returned row entered again matches). */
export async function recordedCorrections(q: Queryable, codes: string[]): Promise<Map<string, Set<string>>> {
  const res = await q.query<{ ma_so_bhxh: string; field: string; new_value: string | null }>(
    'SELECT ma_so_bhxh, field, new_value FROM participant_correction WHERE ma_so_bhxh = ANY($1::text[])',
    [codes],
  );
  const out = new Map<string, Set<string>>();
  for (const r of res.rows) {
    const set = out.get(r.ma_so_bhxh) ?? new Set<string>();
    set.add(correctionKey(r.field, r.new_value ?? ''));
    out.set(r.ma_so_bhxh, set);
  }
  return out;
}
