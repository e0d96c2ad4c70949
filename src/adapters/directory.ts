import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Db, Queryable } from '../db/pool.js';
import { SQLSTATE, sqlState } from '../db/sqlstate.js';
import { UserError } from '../errors.js';
import { CopyWriter } from '../db/copy-text.js';
import { findRegistryPerson, lookupKeys } from '../domain/match.js';
import type { RegistryPerson } from '../domain/types.js';
import { ensureMockSchema } from './mock-schema.js';
import { readRegistryFile, toRegistryPerson, type RegistryRow } from './registry-file.js';

/** Finds registry people by number, in the lookup order of the matching rules. */
export interface RegistryDirectory {
  /** For each number asked, the person the registry would find for it (absent: unknown number). */
  find(numbers: string[]): Promise<Map<string, RegistryPerson>>;
}

function resolve(numbers: string[], byDdcn: Map<string, RegistryPerson>, byCmnd: Map<string, RegistryPerson>) {
  const out = new Map<string, RegistryPerson>();
  for (const n of numbers) {
    const p = findRegistryPerson(n, (k) => byDdcn.get(k), (k) => byCmnd.get(k));
    if (p) out.set(n, p);
  }
  return out;
}

/** The whole registry file in memory: for small data (tests, the HTTP mock server, demos). */
export async function memoryDirectory(file: string): Promise<RegistryDirectory & { size: number; skipped: number }> {
  const byDdcn = new Map<string, RegistryPerson>();
  const byCmnd = new Map<string, RegistryPerson>();
  const stats = { skipped: 0 };
  for await (const row of readRegistryFile(file, stats)) {
    const p = toRegistryPerson(row);
    byDdcn.set(p.soDdcn, p);
    // Stryker disable next-line ConditionalExpression: a person without a CMND would be filed under the key null, which no lookup asks for (lookup keys are digits)
    if (p.soCmnd) byCmnd.set(p.soCmnd, p);
  }
  return { size: byDdcn.size, skipped: stats.skipped, find: async (numbers) => resolve(numbers, byDdcn, byCmnd) };
}

/**
 * The registry file loaded into its own schema of the database, so a mock of millions of people costs no
 * process memory. Reloaded only when the file changes (path, size, modification time).
 */
/** The registry file's people into mock_registry.person (emptied first), in the caller's transaction. */
async function loadPeople(tx: Queryable, file: string, stats: { skipped: number }): Promise<void> {
  await tx.query('TRUNCATE mock_registry.person');
  const copy = new CopyWriter(tx.copyIn('COPY mock_registry.person (so_ddcn, so_cmnd, ho_ten, ngay_sinh, gioi_tinh) FROM STDIN'));
  for await (const r of readRegistryFile(file, stats)) await copy.row([r.soDdcn, r.soCmnd, r.hoTen, r.ngaySinh, r.gioiTinh]);
  await copy.end();
}

export async function databaseDirectory(db: Db, file: string): Promise<RegistryDirectory & { loaded: boolean; skipped: number }> {
  const st = await stat(file);
  const fingerprint = `${path.resolve(file)}:${st.size}:${st.mtimeMs}`;
  await ensureMockSchema(db);
  const current = await db.query<{ fingerprint: string }>('SELECT fingerprint FROM mock_registry.source WHERE id = 1');
  const stats = { skipped: 0 };
  let loaded = false;
  if (current.rows[0]?.fingerprint !== fingerprint) {
    await db.withSession((s) =>
      s.withTransaction(async (tx) => {
        try {
          await loadPeople(tx, file, stats);
        } catch (err) {
          // The number itself is a person's: the message names the file and what to do, not the value.
          if (sqlState(err) === SQLSTATE.uniqueViolation) {
            throw new UserError(`${file} holds the same so_ddcn on more than one line: the mock registry takes one line per person; remove the duplicates`, { cause: err });
          }
          throw err;
        }
        await tx.query(
          `INSERT INTO mock_registry.source (id, fingerprint) VALUES (1, $1::text)
           ON CONFLICT (id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint`,
          [fingerprint],
        );
      }),
    );
    // Stryker disable next-line StringLiteral: ANALYZE gives the planner statistics only: the answers are the same, only the plan may differ
    await db.query('ANALYZE mock_registry.person');
    loaded = true;
  }
  return {
    loaded,
    skipped: stats.skipped,
    async find(numbers) {
      // Each number is probed only where the lookup rules can find it (a 9-digit number is never an ĐDCN).
      const keys = { ddcn: [] as string[], cmnd: [] as string[] };
      for (const n of numbers) for (const step of lookupKeys(n)) keys[step.by].push(step.value);
      // One bitmap scan over both indexes. A UNION ALL of two scans was planned as a Parallel Append: two
      // worker processes started for every 500-person request, which made lookups ~7× dearer during a run.
      const res = await db.query<RegistryRow>(
        `SELECT so_ddcn AS "soDdcn", so_cmnd AS "soCmnd", ho_ten AS "hoTen", ngay_sinh AS "ngaySinh", gioi_tinh AS "gioiTinh"
           FROM mock_registry.person WHERE so_ddcn = ANY($1::text[]) OR so_cmnd = ANY($2::text[])`,
        [keys.ddcn, keys.cmnd],
      );
      const byDdcn = new Map<string, RegistryPerson>();
      const byCmnd = new Map<string, RegistryPerson>();
      for (const r of res.rows) {
        const p = toRegistryPerson(r);
        byDdcn.set(p.soDdcn, p);
        // Stryker disable next-line ConditionalExpression: a person without a CMND would be filed under the key null, which no lookup asks for (lookup keys are digits)
        if (p.soCmnd) byCmnd.set(p.soCmnd, p);
      }
      return resolve(numbers, byDdcn, byCmnd);
    },
  };
}
