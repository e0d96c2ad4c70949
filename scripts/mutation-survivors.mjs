// `node scripts/mutation-survivors.mjs [--all]`: the mutants of the last mutation run (reports/stryker-incremental.json,
// also written while a run goes) that survived or that no test reached, and which of them docs/mutation-testing.md
// does not name yet. The rule (issue 14): every such mutant is killed by a test, marked as equivalent in the code
// (`// Stryker disable next-line …: why`, which makes it "Ignored"), or named in that file's *Survivors not marked*
// as `file.ts:LINE` (or `file.ts:FIRST–LAST`). Only the page above its *History* counts: a listing under a line that
// has since moved is not matched, list it again under its new line. `--all` prints the named ones too.
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const REPORT = 'reports/stryker-incremental.json';
const DOC = 'docs/mutation-testing.md';
const all = process.argv.includes('--all');

if (!fs.existsSync(path.join(ROOT, REPORT))) {
  console.error(`mutation-survivors: no ${REPORT} yet; run \`npm run mutate\` first (it is written while the run goes)`);
  process.exit(2);
}
const report = JSON.parse(fs.readFileSync(path.join(ROOT, REPORT), 'utf8'));
const doc = fs.readFileSync(path.join(ROOT, DOC), 'utf8').split('\n## History')[0];

// Lines the doc names, per file base name: `verifications.ts:63`, `list-layout.ts:111–112`, `xml.ts:23:5`,
// `sheet-parts.ts:33, 34, 37`, `file-exchange-fs.ts:22`, `40`.
const named = new Map();
for (const m of doc.matchAll(/([\w.-]+\.ts):(\d+(?:[–-]\d+)?(?:`?,\s*`?\d+(?:[–-]\d+)?)*)/g)) {
  const base = m[1];
  const lines = named.get(base) ?? new Set();
  for (const part of m[2].split(/`?,\s*`?/)) {
    const [first, last] = part.split(/[–-]/).map(Number);
    for (let l = first; l <= (last ?? first); l++) lines.add(l);
  }
  named.set(base, lines);
}

let open = 0;
let listed = 0;
const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0, other: 0 };
/** Per folder of src/ (adapters, db, domain, pipeline, reports): the same counts, for the score table. */
const folders = new Map();
for (const [file, result] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
  const out = [];
  const folder = file.split('/')[1] ?? file;
  if (!folders.has(folder)) folders.set(folder, { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0, other: 0 });
  for (const m of result.mutants) {
    counts[m.status in counts ? m.status : 'other'] += 1;
    folders.get(folder)[m.status in counts ? m.status : 'other'] += 1;
    if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
    const line = m.location.start.line;
    const isNamed = named.get(path.basename(file))?.has(line) ?? false;
    if (isNamed) listed += 1;
    else open += 1;
    if (!isNamed || all) {
      out.push(`  ${isNamed ? 'listed' : 'OPEN  '} ${line}:${m.location.start.column} ${m.status} ${m.mutatorName} → ${JSON.stringify(m.replacement ?? '').slice(0, 80)}`);
    }
  }
  if (out.length) console.log(`${file}\n${out.join('\n')}`);
}
const score = (c) => {
  const detected = c.Killed + c.Timeout;
  const valid = detected + c.Survived + c.NoCoverage;
  return valid ? `${((100 * detected) / valid).toFixed(1)} %` : '–';
};
console.log('\nfolder      killed  timed out  survived  no coverage  ignored  score');
for (const [folder, c] of folders) {
  console.log(`${folder.padEnd(10)} ${String(c.Killed).padStart(7)} ${String(c.Timeout).padStart(10)} ${String(c.Survived).padStart(9)} ${String(c.NoCoverage).padStart(12)} ${String(c.Ignored).padStart(8)}  ${score(c)}`);
}
const detected = counts.Killed + counts.Timeout;
console.log(
  `\n${Object.values(report.files).reduce((n, f) => n + f.mutants.length, 0)} mutants known: ${counts.Killed} killed, ${counts.Timeout} timed out, ` +
    `${counts.Survived} survived, ${counts.NoCoverage} no coverage, ${counts.Ignored} ignored (static or marked equivalent)` +
    (counts.other ? `, ${counts.other} other` : '') +
    `; score ${score(counts)}, covered ${detected + counts.Survived ? ((100 * detected) / (detected + counts.Survived)).toFixed(1) : '–'} %` +
    `\nsurvived or not covered: ${listed} named in ${DOC}, ${open} not named`,
);
