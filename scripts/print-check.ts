// `npx tsx scripts/print-check.ts [--sizes 1-80] [--out DIR]`: writes Mẫu 01, Mẫu 02, the escalation list and
// Mẫu 03 (national, province, district, unit) with 1…80 rows, short and long (wrapping names, e-mails, column 9),
// prints them all to PDF with LibreOffice in one run and checks every printout's signature block with pdftotext:
// on the last page, whole, with rows of the table above it and room to sign. Prints one line per form and sample
// (files, page counts, failures) and each failure; exits 1 on any. LibreOffice measures Calibri's widths by the
// fonts it has: run it also with Carlito (fonts-crosextra-carlito), as offices with Calibri print.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FormKind } from '../src/reports/list-row.js';
import { canRender, pdfPages, renderPdfs, signatureBlock } from './lib/printed-pages.js';
import { writeSampleList, writeSampleMau03, type Mau03Scope, type Sample } from './lib/print-samples.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1-80' }, out: { type: 'string' } } });
const [from, to] = values.sizes.split('-').map(Number) as [number, number];
const sizes = Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);

if (!(await canRender())) {
  console.error('print-check: needs soffice (LibreOffice) and pdftotext (poppler-utils) on the PATH');
  process.exit(2);
}
const dir = values.out ?? (await mkdtemp(path.join(os.tmpdir(), 'ddcn-print-check-')));
await mkdir(dir, { recursive: true });

const kinds: Array<{ name: string; write: (file: string, rows: number, sample: Sample) => Promise<void> }> = [
  ...(['mau01', 'mau02', 'ho-tro'] as FormKind[]).map((form) => ({ name: form, write: (f: string, n: number, s: Sample) => writeSampleList(f, form, n, s) })),
  ...(['national', 'province', 'district', 'unit'] as Mau03Scope[]).map((scope) => ({
    name: `mau03-${scope}`,
    write: (f: string, n: number, s: Sample) => writeSampleMau03(f, scope, n, s),
  })),
];
const files: Array<{ file: string; kind: string; sample: Sample; rows: number }> = [];
for (const kind of kinds) {
  for (const sample of ['short', 'long'] as Sample[]) {
    for (const rows of sizes) {
      const file = path.join(dir, `${kind.name}-${sample}-${rows}.xlsx`);
      await kind.write(file, rows, sample);
      files.push({ file, kind: kind.name, sample, rows });
    }
  }
}
const started = Date.now();
const pdfs = await renderPdfs(files.map((f) => f.file), dir);
console.log(`${files.length} files printed in ${((Date.now() - started) / 1000).toFixed(0)} s (${dir})`);

let failures = 0;
const summary = new Map<string, { files: number; pages: number[]; failed: number }>();
for (const [i, f] of files.entries()) {
  const printed = signatureBlock(await pdfPages(pdfs[i]!));
  const key = `${f.kind} ${f.sample}`;
  const s = summary.get(key) ?? { files: 0, pages: [], failed: 0 };
  s.files += 1;
  s.pages.push(printed.pages);
  if (printed.problems.length) {
    s.failed += 1;
    failures += 1;
    console.log(`FAIL ${path.basename(f.file)}: ${printed.problems.join('; ')}`);
  }
  summary.set(key, s);
}
for (const [key, s] of summary) console.log(`${key}: ${s.files} files, ${Math.min(...s.pages)}–${Math.max(...s.pages)} pages, ${s.failed} failed`);
if (!values.out) await rm(dir, { recursive: true, force: true });
process.exit(failures ? 1 : 0);
