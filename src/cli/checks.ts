import { codeExists, hasParticipants, knownCodes, provinceEverHad, provinceHasTarget, type CodeKind } from '../db/codes.js';
import type { Database } from '../db/connect.js';
import { nearestCodes } from '../domain/nearest-codes.js';
import { isCccdProvinceCode, provinceKey } from '../domain/provinces.js';
import { provinceFormOnFile } from '../db/province-forms.js';
import { statSync, type Stats } from 'node:fs';
import { UserError } from '../errors.js';

/**
 * A command that reads participants (run, lists, report) on a database that has none was almost always pointed at
 * the wrong one — cron in another folder without DDCN_HOME gets a new, empty embedded database. Fail, naming it.
 */
export async function requireParticipants(database: Database): Promise<void> {
  if (await hasParticipants(database.db)) return;
  throw new UserError(
    `no participants in ${database.where}${database.created ? ' (created just now)' : ''}. ` +
      'If they were imported elsewhere, point ddcn at that database: DDCN_HOME=<the folder holding pg/> for the ' +
      'embedded one (the default is ./.ddcn in the current folder), or DATABASE_URL=postgres://…; ' +
      'otherwise import them first: ddcn import participants FILE',
  );
}

const NAMES: Record<CodeKind, { noun: string; flag: string }> = {
  unit: { noun: 'unit', flag: '--unit' },
  province: { noun: 'province', flag: '--province' },
};

/**
 * A code given on the command line must exist: a typo would otherwise write nothing and exit 0. Returns the code as
 * the data writes it: a province given in another of its forms (`01` or `1` for `001`, or `079` for `79`: the
 * administrative code, the ĐDCN's three digits, a number cell without its zeros; domain/provinces.ts) is taken in
 * the one form on file (province_form, migration 0033).
 */
export async function requireCode(
  database: Database,
  kind: CodeKind,
  code: string | undefined,
  /**
   * `formerProvince`: a province that had participants before and has none now is taken (a report of past dates);
   * else said so. `targeted`: a province with a VssID target and nobody in it yet is taken (its report: a row of
   * zeros against its target, as the national report shows it).
   */
  opts: { formerProvince?: boolean; targeted?: boolean } = {},
): Promise<string | undefined> {
  if (code === undefined || (await codeExists(database.db, kind, code))) return code;
  const onFile = kind === 'province' ? await provinceFormOnFile(database.db, code) : null;
  const other = onFile === code ? null : onFile;
  if (other !== null && (await codeExists(database.db, kind, other))) return other;
  if (kind === 'province') {
    for (const form of [code, other]) {
      if (form === null || !(await provinceEverHad(database.db, form))) continue;
      if (opts.formerProvince) return form;
      throw new UserError(
        `province ${form} has no participants now: they are all in other provinces since (ddcn report progress --province ${form} ` +
          '--as-of DATE gives its figures of an earlier day). Check --province.',
      );
    }
  }
  if (kind === 'province' && opts.targeted && isCccdProvinceCode(provinceKey(code)) && (await provinceHasTarget(database.db, provinceKey(code)))) return provinceKey(code);
  const known = await knownCodes(database.db, kind);
  const near = nearestCodes(code, known);
  const { noun, flag } = NAMES[kind];
  // Nothing near, but only a few codes on file (a province office's own data): all of them, in order.
  const few = near.length === 0 && known.length > 0 && known.length <= FEW_CODES ? [...known].sort() : [];
  throw new UserError(
    `no ${noun} ${code} in ${database.where}` +
      (near.length ? `; nearest codes: ${near.join(', ')}` : '') +
      (few.length ? `; the ${noun} codes on file: ${few.join(', ')}` : '') +
      `. Check ${flag}.`,
  );
}

/** Up to this many codes on file are all listed when none is near the one given. */
const FEW_CODES = 10;

/**
 * What is on disk at an `--out` path, or undefined when nothing is — also when a file stands in the path (ENOTDIR):
 * writing there is refused later, with what to check (cannotWrite).
 */
export function onDisk(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/**
 * Nothing taken from a file is a failure for cron, not a night that carries on as if the file had come: a header
 * without rows (`nothing` says what was not imported, and what to check), or every row rejected.
 */
export function requireSomethingImported(file: string, r: { rowsRead: number; rejected: number; rejectsFile: string }, nothing: string): void {
  if (r.rowsRead === 0) throw new UserError(`${file} has a header and no data rows: ${nothing}`);
  if (r.rejected === r.rowsRead) {
    throw new UserError(`no row of ${file} was imported: all ${r.rowsRead} were rejected (the reasons are in ${r.rejectsFile}); correct the file and import it again`);
  }
}
