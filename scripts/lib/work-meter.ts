import { readFileSync } from 'node:fs';
import type { Db } from '../../src/db/pool.js';

/** What a stretch of work cost: this process's CPU, the rest of the machine's, and the server's WAL. */
export interface WorkCost {
  /** CPU seconds of this process (user + system). */
  selfCpuS: number;
  /**
   * CPU seconds of everything else on the machine meanwhile, from /proc/stat: the database server when it runs
   * here (a local or embedded PostgreSQL), and whatever else runs. Null where /proc/stat cannot be read.
   */
  restCpuS: number | null;
  /** Megabytes of WAL the server wrote meanwhile (every session's, not only this process's). */
  walMb: number;
}

/** Busy CPU seconds of the whole machine since boot (every column of /proc/stat's first line but idle and iowait). */
function machineCpuS(): number | null {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
    const t = ticks.map(Number);
    // user nice system idle iowait irq softirq steal: USER_HZ is 100 on Linux.
    return (t[0]! + t[1]! + t[2]! + t[5]! + t[6]! + t[7]!) / 100;
  } catch {
    return null;
  }
}

async function walLsn(db: Db): Promise<string> {
  return (await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
}

/**
 * Starts measuring; the function returned ends it. The benchmark runs one thing at a time, so the machine's CPU
 * beside this process's is the server's work on it, on a machine with nothing else running.
 */
export async function meterWork(db: Db): Promise<() => Promise<WorkCost>> {
  const cpu0 = process.cpuUsage();
  const machine0 = machineCpuS();
  const lsn0 = await walLsn(db);
  return async () => {
    const cpu = process.cpuUsage(cpu0);
    const machine1 = machineCpuS();
    const lsn1 = await walLsn(db);
    const wal = await db.query<{ bytes: string }>('SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::text AS bytes', [lsn1, lsn0]);
    const selfCpuS = (cpu.user + cpu.system) / 1e6;
    return {
      selfCpuS,
      restCpuS: machine0 === null || machine1 === null ? null : Math.max(0, machine1 - machine0 - selfCpuS),
      walMb: Number(wal.rows[0]!.bytes) / 1024 / 1024,
    };
  };
}
