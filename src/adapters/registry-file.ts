import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { parse } from 'fast-csv';
import { tidyName } from '../domain/names.js';
import { dateKey, parseBirthDate, parseDateKey } from '../domain/dates.js';
import { parseSex } from '../domain/sex.js';
import { normalizeNumber } from '../domain/numbers.js';
import { UserError } from '../errors.js';
import type { RegistryPerson } from '../domain/types.js';

export const REGISTRY_COLUMNS = ['so_ddcn', 'so_cmnd', 'ho_ten', 'ngay_sinh', 'gioi_tinh'] as const;
/** A row of the file once its header is checked: every column is there (a short row reads its missing fields as ''). */
type RegistryRecord = Record<(typeof REGISTRY_COLUMNS)[number], string>;

/** A registry person in storable form: numbers normalised, the date as its canonical key. */
export interface RegistryRow {
  soDdcn: string;
  soCmnd: string | null;
  hoTen: string;
  ngaySinh: string;
  gioiTinh: 'M' | 'F';
}

export function toRegistryPerson(r: RegistryRow): RegistryPerson {
  const d = parseDateKey(r.ngaySinh);
  if (!d) throw new Error('stored registry date is not a date key');
  return { soDdcn: r.soDdcn, soCmnd: r.soCmnd, hoTen: r.hoTen, ngaySinh: d, gioiTinh: r.gioiTinh };
}

/**
 * Streams the mock-registry CSV (`so_ddcn,so_cmnd,ho_ten,ngay_sinh,gioi_tinh`). Rows that cannot describe a
 * person (no 12-digit ĐDCN, no date, no sex) are counted in `skipped` and left out.
 */
export async function* readRegistryFile(file: string, stats: { skipped: number }): AsyncGenerator<RegistryRow> {
  // pipeline, not pipe: a read error (a folder, no permission) must end the rows with that error; pipe left it
  // unhandled (the process crashed) and the rows waiting forever. The error reaches the loop below; the callback
  // has nothing to add.
  const stream = pipeline(
    createReadStream(file),
    // fast-csv drops a byte-order mark itself (pinned by test/unit/registry-file.test.ts).
    // Stryker disable next-line OptionalChaining: the header names fast-csv hands over are strings; ?. only satisfies its type
    parse<RegistryRecord, RegistryRecord>({ headers: (h) => h.map((x) => x?.trim().toLowerCase()) }),
    () => undefined,
  );
  let checked = false;
  try {
    for await (const rec of stream as AsyncIterable<RegistryRecord>) {
      // Stryker disable next-line ConditionalExpression: the column check then runs on every row with the same keys: the same result, only slower
      if (!checked) {
        const missing = REGISTRY_COLUMNS.filter((c) => !(c in rec));
        if (missing.length) throw new UserError(`${file}: registry data needs the columns ${REGISTRY_COLUMNS.join(',')}; missing ${missing.join(', ')}`);
        // Stryker disable next-line BooleanLiteral: the column check then runs on every row with the same keys: the same result, only slower
        checked = true;
      }
      const ddcn = normalizeNumber(rec.so_ddcn);
      const cmnd = rec.so_cmnd ? normalizeNumber(rec.so_cmnd) : null;
      const dob = parseBirthDate(rec.ngay_sinh);
      const sex = parseSex(rec.gioi_tinh);
      if (!ddcn || ddcn.kind !== 'num12' || !dob || !sex) {
        stats.skipped += 1;
        continue;
      }
      yield { soDdcn: ddcn.value, soCmnd: cmnd?.value ?? null, hoTen: tidyName(rec.ho_ten), ngaySinh: dateKey(dob), gioiTinh: sex };
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read registry data ${file}: ${code ?? (err as Error).message}`, { cause: err });
  }
}
