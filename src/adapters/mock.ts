import { matchPerson } from '../domain/match.js';
import type { RegistryDirectory } from './directory.js';
import type { RegistryAdapter, ShareRecord, VerifyAnswer, VerifyRequest } from './types.js';

/** The population registry in-process: the matching rules of plan-2207.md over a directory of people. */
export class MockRegistry implements RegistryAdapter {
  readonly kind = 'mock';
  /** How many share records were acknowledged (Plan I.4); the records themselves only when asked to keep them. */
  sharedCount = 0;
  readonly shared = new Map<string, ShareRecord>();

  constructor(
    private readonly directory: RegistryDirectory,
    private readonly options: { keepShared?: boolean } = {},
  ) {}

  async verify(batch: VerifyRequest[]): Promise<VerifyAnswer[]> {
    const found = await this.directory.find(batch.map((r) => r.soGiayTo));
    return batch.map((req) => matchPerson(req, found.get(req.soGiayTo)));
  }

  async share(records: ShareRecord[]): Promise<string[]> {
    this.sharedCount += records.length;
    if (this.options.keepShared) for (const r of records) this.shared.set(r.requestId, r);
    return records.map((r) => r.requestId);
  }

  async close(): Promise<void> {}
}
