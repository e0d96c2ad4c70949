// A database failure before a registry request (RegistryGateError, src/adapters/shared-cap.ts) fails the verify step:
// the step's other requests are then not sent, their answers to be thrown away and asked for again on the retry.
import { describe, expect, it } from 'vitest';
import { RegistryGateError } from '../../src/adapters/shared-cap.js';
import type { RegistryAdapter, VerifyAnswer, VerifyRequest } from '../../src/adapters/types.js';
import { verifyPeople } from '../../src/pipeline/verify.js';
import type { ExportedPerson } from '../../src/domain/outcome.js';
import { capturedLog } from '../helpers/log.js';

const person = (i: number): ExportedPerson => ({
  maSoBhxh: `79000000${String(i).padStart(2, '0')}`, hoTen: 'Nguyễn Văn A', ngaySinh: '1990-01-01', gioiTinh: 'M', soGiayTo: `0790900000${String(i).padStart(2, '0')}`, dataVersion: 1,
});

describe('verify: a database failure before a registry request', () => {
  it('fails the step and sends none of its requests after it', async () => {
    const sent: number[] = [];
    const registry: RegistryAdapter = {
      kind: 'http',
      async verify(batch: VerifyRequest[]): Promise<VerifyAnswer[]> {
        sent.push(batch.length);
        if (sent.length === 1) throw new RegistryGateError(new Error('canceling statement due to statement timeout'));
        await new Promise((resolve) => setTimeout(resolve, 5));
        return [];
      },
      async share() { return []; },
      async close() {},
    } as RegistryAdapter;
    const people = Array.from({ length: 6 }, (_, i) => person(i + 1));
    await expect(verifyPeople(registry, people, { batchSize: 1, concurrency: 1 }, capturedLog('debug').log)).rejects.toBeInstanceOf(RegistryGateError);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sent).toEqual([1]);
  });
});
