// The shared fixture end to end: import, one run against the mock registry, and the results export compared with
// the expected outcomes (ma_so_bhxh, status, fields) exactly. A missing fixture fails the suite: it is never skipped.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { DEFAULT_RUN_CONFIG } from '../../src/pipeline/deps.js';
import { runBatch } from '../../src/pipeline/run.js';
import { databaseDirectory, memoryDirectory } from '../../src/adapters/directory.js';
import { MockRegistry } from '../../src/adapters/mock.js';
import { deps, exportedResults, parseCsv, rows, runDeps, databasePerFile, useTempDir } from '../helpers/pipeline.js';
import { fixtureOracle } from '../helpers/oracle.js';

const database = databasePerFile();

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');
const PARTICIPANTS = path.join(FIXTURES, 'participants.csv');
const REGISTRY = path.join(FIXTURES, 'registry.csv');
const EXPECTED = path.join(FIXTURES, 'expected-results.csv');
const missing = [PARTICIPANTS, REGISTRY, EXPECTED].filter((f) => !existsSync(f)).map((f) => path.relative(process.cwd(), f));

describe('acceptance: fixtures/participants.csv against fixtures/registry.csv', () => {
  it('has its fixture files (regenerate them with `npx tsx scripts/make-fixtures.ts`)', () => {
    expect(missing, 'fixture files missing').toEqual([]);
  });

  // The mock's people either in process memory (tests, the HTTP mock server) or in the database (`ddcn run`):
  // both must answer exactly as the matching rules say.
  it.each(['memory', 'database'] as const)('exports exactly the expected status and fields for every participant (registry in %s)', async (where) => {
    const { db } = database();
    const directory = where === 'memory' ? await memoryDirectory(REGISTRY) : await databaseDirectory(db, REGISTRY);
    const dir = await useTempDir();
    const imported = await importParticipants(deps(db), PARTICIPANTS, path.join(dir, 'participants.rejects.csv'));
    const [, ...rejected] = await parseCsv(await readFile(imported.rejectsFile, 'utf8'));
    expect(rejected.map((r) => Number(r[0]))).toEqual([152, 313, 329]); // fixtures/README.md
    // fixtures/README.md tells the operator what the rejects file says: the same line, number and reason, word for word.
    const readme = await readFile(path.join(FIXTURES, 'README.md'), 'utf8');
    const rejectTable = readme.split('## Rejected on import')[1]?.split('\n## ')[0] ?? '';
    const documented = [...rejectTable.matchAll(/^\| (\d+) \| `([^`]*)` \| (.+) \|$/gm)].map((m) => [m[1], m[3], m[2]]);
    expect(rejected.map((r) => [r[0], r[1], r[2]])).toEqual(documented);
    // Small chunks so that the fixture spans several of them, as a real run does.
    const result = await runBatch(runDeps(db, new MockRegistry(directory), { ...DEFAULT_RUN_CONFIG, chunkSize: 100, batchSize: 50 }), { province: null });
    expect(result.counts).toMatchObject({ pending: 0, errors: 0 });

    const [expectedHeader, ...expectedRows] = await parseCsv(await readFile(EXPECTED, 'utf8'));
    const col = (name: string) => expectedHeader!.indexOf(name);
    const [iCode, iStatus, iFields] = [col('ma_so_bhxh'), col('status'), col('fields')];
    expect(Math.min(iCode, iStatus, iFields)).toBeGreaterThanOrEqual(0);
    const expected = new Map(expectedRows.map((r) => [r[iCode]!, `${r[iStatus]}|${r[iFields] ?? ''}`]));
    expect(expected.size, 'expected-results.csv: 335 participants (fixtures/README.md)').toBe(335);

    const actual = await exportedResults(deps(db), dir);
    expect(actual.header).toEqual(['ma_so_bhxh', 'status', 'fields', 'so_ddcn']);
    const got = new Map([...actual.rows.values()].map((r) => [r.ma_so_bhxh, `${r.status}|${r.fields}`]));

    const differences: string[] = [];
    for (const [code, want] of expected) if (got.get(code) !== want) differences.push(`${code}: expected ${want}, got ${got.get(code) ?? '(missing)'}`);
    for (const code of got.keys()) if (!expected.has(code)) differences.push(`${code}: not in expected-results.csv`);
    expect(differences.slice(0, 25), `${differences.length} differences`).toEqual([]);
    expect(got.size).toBe(expected.size);

    // The ĐDCN on file, the former numbers and the shares, as the fixture files imply them.
    const oracle = await fixtureOracle();
    expect(actual.text).toBe(oracle.results);
    expect(await rows(db, 'SELECT ma_so_bhxh, so_cu, so_moi, source FROM number_history ORDER BY ma_so_bhxh, so_cu')).toEqual(oracle.history);
    expect(await rows(db, 'SELECT ma_so_bhxh, so_ddcn FROM share_record ORDER BY ma_so_bhxh, so_ddcn')).toEqual(oracle.shares);
  });
});
