// `npx tsx scripts/bench-parsers.ts FILE`: time the CSV readers that were candidates for the import on the same
// file (wall and CPU seconds: the machine is shared, CPU time is the steadier figure). Candidates that are not
// installed (papaparse, udsv: `npm install --no-save papaparse udsv`) are skipped with a note.
import { createReadStream } from 'node:fs';
import { parse } from 'fast-csv';
import { CsvScanner } from '../src/pipeline/csv-scan.js';

const file = process.argv[2];
if (!file) throw new Error('usage: bench-parsers.ts FILE');

async function time(name: string, fn: () => Promise<number>) {
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  const rows = await fn();
  const cpu = process.cpuUsage(c);
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(JSON.stringify({ parser: name, rows, wall_s: +wall.toFixed(2), cpu_s: +((cpu.user + cpu.system) / 1e6).toFixed(2) }));
}

await time('ddcn CsvScanner', async () => {
  const s = new CsvScanner();
  let n = 0;
  for await (const buf of createReadStream(file, { highWaterMark: 256 * 1024 })) n += s.push(buf as Buffer).length;
  return n + s.end().length;
});

await time('fast-csv', async () => {
  let n = 0;
  for await (const _ of createReadStream(file).pipe(parse({ headers: false }))) n++;
  return n;
});

const optional = async (name: string) => import(name).catch(() => null);
const papa = await optional('papaparse');
if (papa) {
  await time('papaparse (stream)', () =>
    new Promise((resolve, reject) => {
      let n = 0;
      const Papa = papa.default ?? papa;
      const stream = Papa.parse(Papa.NODE_STREAM_INPUT, {});
      stream.on('data', () => n++);
      stream.on('end', () => resolve(n));
      stream.on('error', reject);
      createReadStream(file).pipe(stream);
    }),
  );
} else console.log('papaparse not installed: skipped');
const udsv = await optional('udsv');
if (udsv) {
  await time('udsv (streaming chunks)', async () => {
    let parser: { chunk: (s: string, f: unknown, cb: (rows: unknown[]) => void) => void; end: () => unknown[] } | null = null;
    let n = 0;
    for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 })) {
      parser ??= udsv.initParser(udsv.inferSchema(chunk as string));
      parser!.chunk(chunk as string, udsv.Parser?.prototype?.stringArrs ?? 'stringArrs', (rows: unknown[]) => (n += rows.length));
    }
    n += parser?.end()?.length ?? 0;
    return n;
  });
} else console.log('udsv not installed: skipped');
