// A person whose registry request failed, and who then turned CONFLICT when the batch settled its conflicts (the
// registry gave someone else the number they hold): not PENDING, and the run must not say so. It said "1 person
// could not be verified. It is PENDING" and exited 1 with nobody PENDING (the distributed-run review: 9 439 said,
// 9 429 PENDING).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ddcn } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/db.js';
import { rows, useTempDir } from '../helpers/pipeline.js';
import { serversClosedAfterEach } from '../helpers/test-servers.js';

const opened = serversClosedAfterEach();

it('does not count as PENDING a person whose request failed and who then became CONFLICT', async () => {
  const t = await createTestDatabase();
  try {
    const dir = await useTempDir();
    const file = path.join(dir, 'p.csv');
    await writeFile(file, [
      'ma_so_bhxh,ho_ten,ngay_sinh,gioi_tinh,so_giay_to,ma_don_vi,ma_tinh',
      '0100000001,Nguyễn Văn An,01/01/1990,Nam,001090000001,DV0010001,001', // holds the ĐDCN the registry gives Bình
      '0100000002,Trần Văn Bình,02/02/1991,Nam,012345678,DV0010001,001',
    ].join('\n') + '\n');
    // A registry that fails every request about An and gives Bình An's number.
    const server = http.createServer(async (req, res) => {
      const parts: Buffer[] = [];
      for await (const c of req) parts.push(c as Buffer);
      const body = JSON.parse(Buffer.concat(parts).toString() || 'null') as { requests?: Array<{ request_id: string }>; records?: Array<{ request_id: string }> };
      const send = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.url === '/v1/share') return send(200, { acknowledged: body.records!.map((r) => r.request_id) });
      if (body.requests!.some((r) => r.request_id === '0100000001')) return send(500, { error: { code: 'internal', message: 'down for one' } });
      return send(200, { answers: body.requests!.map((r) => ({ request_id: r.request_id, matched: true, so_ddcn: '001090000001', fields: [] })) });
    });
    opened.push(server);
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const env = { DATABASE_URL: t.url, DDCN_HOME: path.join(dir, 'home'), DDCN_REGISTRY_RETRIES: '0', DDCN_REGISTRY_BREAKER_FAILURES: '100' };
    expect((await ddcn(['import', 'participants', file], env)).code).toBe(0);
    const run = await ddcn(['run', '--registry', 'http', '--registry-url', url, '--batch-size', '1'], env);
    expect(await rows(t.db, 'SELECT ma_so_bhxh, status FROM participant ORDER BY 1')).toEqual([
      { ma_so_bhxh: '0100000001', status: 'CONFLICT' },
      { ma_so_bhxh: '0100000002', status: 'CONFLICT' },
    ]);
    expect(run.stderr).not.toContain('could not be verified');
    expect(run.code, run.stderr).toBe(0);
  } finally {
    await t.drop();
  }
}, 120_000);
