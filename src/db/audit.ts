import { csvTextSql } from '../domain/spreadsheet-text.js';
import type { Queryable } from './pool.js';

export type AuditAction = 'login' | 'logout' | 'download' | 'upload' | 'correct' | 'lookup' | 'users';

export interface AuditEntry {
  at: Date;
  login: string | null;
  action: AuditAction;
  object: string; // codes and file names only: never a person's name, date of birth or number
  result: string;
  ip: string | null;
}

/** One row of the audit trail, in the caller's transaction when the action has one. */
export async function audit(q: Queryable, e: AuditEntry): Promise<void> {
  await q.query(
    `INSERT INTO audit_log (at, login, action, object, result, ip) VALUES ($1::timestamptz, $2::text, $3::text, $4::text, $5::text, $6::text)`,
    [e.at, e.login, e.action, e.object, e.result, e.ip],
  );
}

/**
 * `GET /audit.csv`: the whole trail, oldest first, streamed by the server (columns of docs/interface.md). Its text
 * comes partly from outside (unit codes, an address a proxy forwards): written so that no spreadsheet runs it.
 */
export const AUDIT_CSV_COPY = `COPY (SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at,
         ${['login', 'action', 'object', 'result', 'ip'].map(csvTextSql).join(', ')}
  FROM audit_log ORDER BY at, id) TO STDOUT WITH (FORMAT csv, HEADER)`;
