import { createDb } from '../../src/db/pool.js';
import { outcomeCountsAsOf } from '../../src/db/reports.js';
const db = createDb(process.env.DATABASE_URL!);
const cutoff = new Date(process.env.CUTOFF!);
for (const spec of process.argv.slice(2)) {
  const [kind, code] = spec.split(':');
  const args = { cutoff, province: kind === 'p' ? code! : null, district: null, unit: kind === 'u' ? code! : null };
  const times: number[] = [];
  let total = 0;
  for (let i = 0; i < 2; i++) {
    const t = performance.now();
    const r = await db.withSession((s) => s.withTransaction((tx) => outcomeCountsAsOf(tx as never, args), { workMem: '64MB' } as never));
    times.push(Math.round(performance.now() - t));
    total = r.reduce((a, b) => a + b.total, 0);
  }
  console.log(spec, total, times.join(' '));
}
process.exit(0);
