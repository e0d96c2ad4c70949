// The in-process mock registry's share side: it counts what it acknowledged, and keeps the records only when asked
// (a run over millions of people must not hold them all in memory).
import { describe, expect, it } from 'vitest';
import { MockRegistry } from '../../src/adapters/mock.js';

const nobody = { find: async () => new Map() };
const records = [
  { requestId: '0100000001', maSoBhxh: '0100000001', soDdcn: '001090000001', vssid: true },
  { requestId: '0100000002', maSoBhxh: '0100000002', soDdcn: '001090000002', vssid: false },
];

describe('mock registry shares', () => {
  it('acknowledges every record and counts them; keeps them only when asked to', async () => {
    const plain = new MockRegistry(nobody);
    expect(await plain.share(records)).toEqual(['0100000001', '0100000002']);
    expect(await plain.share(records.slice(0, 1))).toEqual(['0100000001']);
    expect(plain.sharedCount).toBe(3);
    expect(plain.shared.size).toBe(0);

    const keeping = new MockRegistry(nobody, { keepShared: true });
    await keeping.share(records);
    expect([...keeping.shared.values()]).toEqual(records);
    expect(keeping.kind).toBe('mock');
  });
});
