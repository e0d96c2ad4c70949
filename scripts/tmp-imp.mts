import path from 'node:path';
import { openDatabase } from '../src/db/connect.js';
import { createLogger } from '../src/log.js';
import { importParticipants } from '../src/pipeline/import-participants.js';
import { freshBenchDatabase } from './lib/bench-db.js';
const file = process.argv[2]!;
const { databaseUrl, drop } = await freshBenchDatabase('i10a_prof');
const database = await openDatabase({ databaseUrl, home: '/tmp/i10a-scratch/home' });
const deps = { db: database.db, log: createLogger('warn'), now: () => new Date() };
for (const k of ['fresh', 'again']) {
  const t = process.hrtime.bigint(); const c = process.cpuUsage();
  const r = await importParticipants(deps, file, '/tmp/i10a-scratch/rej.csv');
  const cpu = process.cpuUsage(c);
  console.log(k, Number(process.hrtime.bigint() - t) / 1e9, 'wall', (cpu.user + cpu.system) / 1e6, 'cpu', r.inserted, r.unchanged, r.rejected);
}
await database.close(); await drop();
