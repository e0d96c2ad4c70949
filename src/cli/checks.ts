import { codeExists, hasParticipants, knownCodes, type CodeKind } from '../db/codes.js';
import type { Database } from '../db/connect.js';
import { nearestCodes } from '../domain/nearest-codes.js';
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

/** A code given on the command line must exist: a typo would otherwise write nothing and exit 0. */
export async function requireCode(database: Database, kind: CodeKind, code: string | undefined): Promise<void> {
  if (code === undefined || (await codeExists(database.db, kind, code))) return;
  const near = nearestCodes(code, await knownCodes(database.db, kind));
  const { noun, flag } = NAMES[kind];
  throw new UserError(
    `no ${noun} ${code} in ${database.where}` +
      (near.length ? `; nearest codes: ${near.join(', ')}` : '') +
      `. Check ${flag}.`,
  );
}
