// A process refused a connection because the server has none left for it (max_connections, or a role's or a
// database's CONNECTION LIMIT: SQLSTATE 53300) was told to "check DATABASE_URL and that the server is running",
// both of which were right. Ten machines of workers, each with its pool, meet it first: it is said as what it is.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { databasePerFile } from '../helpers/pipeline.js';
import { ddcn } from './http-harness.js';

const database = databasePerFile();

describe('a database server with no connection left for the process', () => {
  it('is said so, with what to do (exit 1), not as a wrong URL or a server down', async () => {
    const { db, url } = database();
    const role = `zz_limit_${randomBytes(4).toString('hex')}`;
    // A role that may not connect at all stands for a server whose connections are all taken (the same SQLSTATE).
    await db.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw' CONNECTION LIMIT 0`);
    try {
      const limited = new URL(url);
      limited.username = role;
      limited.password = 'pw';
      const ran = await ddcn(['batch', 'status'], { DATABASE_URL: limited.toString() });
      expect(ran.code, ran.stderr).toBe(1);
      const line = ran.stderr.split('\n').find((l) => l.startsWith('ddcn: '));
      expect(line).toMatch(/^ddcn: the database server has no connection left for this process \(too many connections for role "zz_limit_[0-9a-f]{8}"; /);
      expect(line).toContain('run fewer workers per machine (--workers, --concurrency), or raise max_connections on the server');
      expect(line).not.toContain('that the server is running');
      expect(line).not.toContain(':pw@');
    } finally {
      await db.query(`DROP ROLE ${role}`);
    }
  }, 60_000);
});
