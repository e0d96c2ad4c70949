// What a run over the fixtures must end with, worked out from the fixture files alone — never from the run's code —
// so a crash or kill test that ends "like the reference run" also ends right: the outcomes of
// fixtures/expected-results.csv, and the former numbers and shares those outcomes imply on fixtures' input.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseCsv } from './pipeline.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');

async function table(file: string): Promise<Array<Record<string, string>>> {
  const [header, ...data] = await parseCsv(await readFile(path.join(FIXTURES, file), 'utf8'));
  if (!header || data.length === 0) throw new Error(`fixtures/${file} is empty: regenerate it with \`npx tsx scripts/make-fixtures.ts\``);
  return data.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

/**
 * A number as a clerk may have typed it, reduced to its digits the way interface.md describes (spaces, dots and a
 * leading apostrophe dropped; 8 and 11 digits lost a leading zero). Written out here on purpose, apart from
 * src/domain/numbers.ts.
 */
function digits(typed: string): string {
  const d = typed.replace(/^'/, '').replace(/[\s.\u00a0]/g, '');
  return d.length === 8 || d.length === 11 ? `0${d}` : d;
}

export interface FixtureOracle {
  /** The results export: `ma_so_bhxh,status,fields,so_ddcn` lines, header first. */
  results: string;
  /** number_history: one row per MATCHED participant whose number on file was not already the ĐDCN. */
  history: Array<{ ma_so_bhxh: string; so_cu: string; so_moi: string; source: string }>;
  /** share_record: every MATCHED participant with the ĐDCN. */
  shares: Array<{ ma_so_bhxh: string; so_ddcn: string }>;
}

export async function fixtureOracle(): Promise<FixtureOracle> {
  const [expected, participants, registry] = await Promise.all([
    table('expected-results.csv'), table('participants.csv'), table('registry.csv'),
  ]);
  const typed = new Map(participants.map((p) => [p.ma_so_bhxh!, p.so_giay_to!]));
  const ddcnOf = new Map<string, string>();
  for (const r of registry) {
    ddcnOf.set(r.so_ddcn!, r.so_ddcn!);
    if (r.so_cmnd) ddcnOf.set(r.so_cmnd, r.so_ddcn!);
  }
  const lines = ['ma_so_bhxh,status,fields,so_ddcn'];
  const history: FixtureOracle['history'] = [];
  const shares: FixtureOracle['shares'] = [];
  for (const e of [...expected].sort((a, b) => a.ma_so_bhxh!.localeCompare(b.ma_so_bhxh!))) {
    const code = e.ma_so_bhxh!;
    let ddcn = '';
    if (e.status === 'MATCHED') {
      const number = digits(typed.get(code) ?? '');
      ddcn = ddcnOf.get(number) ?? '';
      if (!ddcn) throw new Error(`fixtures: ${code} is MATCHED but its number is not in registry.csv`);
      if (number !== ddcn) history.push({ ma_so_bhxh: code, so_cu: number, so_moi: ddcn, source: 'registry' });
      shares.push({ ma_so_bhxh: code, so_ddcn: ddcn });
    }
    lines.push(`${code},${e.status},${e.status === 'MISMATCHED' ? e.fields : ''},${ddcn}`);
  }
  return { results: lines.join('\n') + '\n', history, shares };
}
