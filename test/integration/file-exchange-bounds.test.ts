// The file exchange reads an answer file whole: one far larger than any answer is refused unread.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryDirectory } from '../../src/adapters/directory.js';
import { FileExchangeRegistry } from '../../src/adapters/file-exchange.js';
import { MockRegistry } from '../../src/adapters/mock.js';
import { createLogger } from '../../src/log.js';
import { runBatch } from '../../src/pipeline/run.js';
import { answerRequestFiles } from '../../src/registry-server/answer-files.js';
import { databasePerFile, FIXED_NOW, runDeps, useTempDir } from '../helpers/pipeline.js';
import { FIXTURE_REGISTRY, importFixtures } from './http-harness.js';

const database = databasePerFile();
const log = createLogger('silent');

describe('file exchange answer bound', () => {
  it('refuses an answer file over the bound without reading it; the others are applied', async () => {
    const { db } = database();
    await importFixtures(db);
    const dir = await useTempDir();
    const f = { outbox: path.join(dir, 'outbox'), inbox: path.join(dir, 'inbox'), resendAfterMs: 3_600_000 };
    const run = async () => {
      const exchange = await FileExchangeRegistry.open(f, db, log, () => FIXED_NOW);
      await runBatch(runDeps(db, exchange, { chunkSize: 100, batchSize: 50, concurrency: 2 }), { province: null });
      return exchange;
    };
    await run();
    await answerRequestFiles({ registry: new MockRegistry(await memoryDirectory(FIXTURE_REGISTRY)), outbox: f.outbox, inbox: f.inbox, log });
    const answers = (await readdir(f.inbox)).filter((n) => n.endsWith('.answer.csv')).sort();
    const big = answers[0]!;
    await writeFile(path.join(f.inbox, big), (await readFile(path.join(f.inbox, big), 'utf8')) + ' '.repeat(5 * 1024 * 1024));

    const second = await run();
    expect(second.stats.refused).toEqual([big]);
    expect(second.stats.ingested).toBe(answers.length - 1);
    expect(await readFile(path.join(f.inbox, 'refused', `${big}.reason.txt`), 'utf8')).toMatch(/^refused \(format\): \d+ bytes, more than an answer can be \(4194304\); not read/);
  });
});
