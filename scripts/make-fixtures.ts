// Writes the committed demo sample: fixtures/participants.csv, registry.csv, expected-results.csv and README.md.
// Run: npx tsx scripts/make-fixtures.ts. Output is byte-for-byte the same on every run (no clock, fixed seed).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Field } from '../src/domain/types.js';
import { CASES, FIXTURE_PROVINCES, REJECTS, UNITS_PER_PROVINCE } from './fixture-cases.js';
import type { Person } from './fixture-cases.js';
import {
  generate,
  managingUnit,
  PARTICIPANT_COLUMNS,
  participantValues,
  REGISTRY_COLUMNS,
  registryValues,
  toCsvLine,
} from './lib/synth.js';
import type { Expected, ParticipantRow, RegistryRow } from './lib/synth.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const BULK = { count: 300, seed: 2207, provinces: [...FIXTURE_PROVINCES], unitsPerProvince: UNITS_PER_PROVINCE, firstCode: 100_000_001 };
const FIRST_CRAFTED = 100_009_001; // hand-crafted codes start at 0100009001, well clear of the bulk
const REJECT_AFTER_BULK_ROW = 150; // one reject sits mid-file, so line numbers in the rejects file are tested

interface Outcome {
  code: string;
  status: Expected['status'];
  fields: readonly Field[];
}

const participants: string[] = [toCsvLine(PARTICIPANT_COLUMNS)];
const registry: string[] = [toCsvLine(REGISTRY_COLUMNS)];
const outcomes: Outcome[] = [];
const rejectLines: { line: number; code: string; why: string }[] = [];
const bulkByCase = new Map<string, number>();
const knownNumbers = new Set<string>(); // every number the fixture uses, to prove the crafted ones are fresh

function addParticipant(p: ParticipantRow): void {
  participants.push(toCsvLine(participantValues(p)));
}

function addReject(index: number): void {
  const r = REJECTS[index];
  if (!r) throw new Error(`no reject #${index}`);
  const unit = managingUnit(FIXTURE_PROVINCES, 0, index % UNITS_PER_PROVINCE, UNITS_PER_PROVINCE);
  addParticipant({ ...unit, ma_so_bhxh: r.code, ...r.p, vssid: '0', email: '' });
  rejectLines.push({ line: participants.length, code: r.code, why: r.why }); // header is line 1
}

function claim(n: string, what: string): void {
  if (n === '') return;
  if (knownNumbers.has(n)) throw new Error(`fixture number ${n} (${what}) is used twice: pick another serial`);
  knownNumbers.add(n);
}

// 1. The bulk, from the same generator the benchmark uses.
for (const rec of generate(BULK)) {
  addParticipant(rec.participant);
  if (rec.registry) {
    registry.push(toCsvLine(registryValues(rec.registry)));
    claim(rec.registry.so_ddcn, 'bulk ĐDCN');
    claim(rec.registry.so_cmnd, 'bulk CMND');
  } else {
    claim(rec.participant.so_giay_to, 'bulk unknown number');
  }
  outcomes.push({ code: rec.participant.ma_so_bhxh, status: rec.expected.status, fields: rec.expected.fields });
  bulkByCase.set(rec.case, (bulkByCase.get(rec.case) ?? 0) + 1);
  if (outcomes.length === REJECT_AFTER_BULK_ROW) addReject(0);
}

// 2. Hand-crafted cases, spread over the same units; the other rejects sit between them.
const crafted: (Outcome & { what: string })[] = [];
const written = new Set<Person>();
CASES.forEach((c, i) => {
  if (i === 10) addReject(1);
  if (i === 25) addReject(2);
  const code = String(FIRST_CRAFTED + i).padStart(10, '0');
  const unit = managingUnit(FIXTURE_PROVINCES, i % FIXTURE_PROVINCES.length, (i >> 1) % UNITS_PER_PROVINCE, UNITS_PER_PROVINCE);
  // VssID: registered with e-mail, registered without, not registered, in turn, unless the case says otherwise.
  const vssid = c.p.vssid ?? (i % 3 === 2 ? '0' : '1');
  const email = c.p.email ?? (i % 3 === 0 ? `nguoi.thamgia${code.slice(-4)}@example.com` : '');
  addParticipant({ ...unit, ma_so_bhxh: code, ho_ten: c.p.ho_ten, ngay_sinh: c.p.ngay_sinh, gioi_tinh: c.p.gioi_tinh, so_giay_to: c.p.so_giay_to, vssid, email });
  for (const person of c.persons ?? []) {
    if (written.has(person)) continue;
    written.add(person);
    registry.push(toCsvLine(registryValues(asRow(person))));
    claim(person.ddcn, c.what);
    claim(person.cmnd, c.what);
  }
  if (c.unknownNumber) claim(c.unknownNumber, c.what);
  const outcome = { code, status: c.status, fields: [...(c.fields ?? [])].sort() };
  outcomes.push(outcome);
  crafted.push({ ...outcome, what: c.what });
});

function asRow(p: Person): RegistryRow {
  return { so_ddcn: p.ddcn, so_cmnd: p.cmnd, ho_ten: p.name, ngay_sinh: p.dob, gioi_tinh: p.sex };
}

// 3. Files.
const csv = (lines: string[]): string => lines.join('\n') + '\n';
outcomes.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
const expected = [toCsvLine(['ma_so_bhxh', 'status', 'fields']), ...outcomes.map((o) => toCsvLine([o.code, o.status, o.fields.join(';')]))];

const totals = { MATCHED: 0, MISMATCHED: 0, MISSING_ID: 0, CONFLICT: 0 };
for (const o of outcomes) totals[o.status]++;

mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'participants.csv'), csv(participants));
writeFileSync(join(OUT, 'registry.csv'), csv(registry));
writeFileSync(join(OUT, 'expected-results.csv'), csv(expected));
writeFileSync(join(OUT, 'README.md'), readme());

function readme(): string {
  const dataRows = participants.length - 1;
  const md = (s: string): string => s.replaceAll('|', '\\|');
  return [
    '# Demo fixture',
    '',
    'Generated by `npx tsx scripts/make-fixtures.ts` (deterministic: same bytes every run). Do not edit by hand.',
    '',
    '| file | content |',
    '|---|---|',
    `| \`participants.csv\` | ${dataRows} data rows for \`ddcn import participants\` |`,
    `| \`registry.csv\` | ${registry.length - 1} persons for \`--registry mock --registry-data\` |`,
    `| \`expected-results.csv\` | \`ma_so_bhxh,status,fields\` for each of the ${outcomes.length} imported participants: the acceptance oracle |`,
    '',
    '## Expected outcome counts',
    '',
    '| outcome | count |',
    '|---|---|',
    `| imported | ${outcomes.length} |`,
    `| rejected on import | ${rejectLines.length} |`,
    ...Object.entries(totals).map(([k, v]) => `| ${k} | ${v} |`),
    '',
    `Bulk: ${BULK.count} participants from \`generate({ count: ${BULK.count}, seed: ${BULK.seed}, provinces: ['001', '079'], unitsPerProvince: ${UNITS_PER_PROVINCE} })\`,`,
    `ma_so_bhxh 0100000001–${String(BULK.firstCode + BULK.count - 1).padStart(10, '0')}, units \`DV0010001\`–\`DV0010004\` (Hà Nội) and \`DV0790001\`–\`DV0790004\` (Hồ Chí Minh).`,
    `Generator cases: ${[...bulkByCase].sort().map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    'About 60 % carry the old 9-digit CMND and 40 % the 12-digit ĐDCN; names with hoà/thuỷ/khoẻ are spelled the old way',
    'on our side about half the time (a match). Participants without a number exist in the registry (a Mẫu 02 correction',
    'can find them); those with an unknown number do not.',
    '',
    '## Rejected on import (not in expected-results.csv)',
    '',
    '| line | ma_so_bhxh | reason |',
    '|---|---|---|',
    ...rejectLines.map((r) => `| ${r.line} | \`${r.code}\` | ${md(r.why)} |`),
    '',
    '## Hand-crafted cases',
    '',
    'Fields vocabulary as in `ddcn export results`: `dob`, `id_number`, `name`, `sex`, sorted, `;`-joined.',
    'A value we cannot read (`31/02/1980`, `?`) is imported with a data-quality finding and cannot confirm the',
    'registry\'s value, so that field counts as differing. A number of an impossible length (`12345`) is no usable',
    'number: MISSING_ID, not sent.',
    '',
    '| ma_so_bhxh | status | fields | demonstrates |',
    '|---|---|---|---|',
    ...crafted.map((c) => `| \`${c.code}\` | ${c.status} | ${c.fields.join(';')} | ${md(c.what)} |`),
    '',
  ].join('\n');
}

console.log(`fixtures: ${outcomes.length} imported, ${rejectLines.length} rejected, ${JSON.stringify(totals)}`);
