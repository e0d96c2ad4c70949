import { existsSync } from 'node:fs';
import type { Db } from '../db/pool.js';
import type { Logger } from '../log.js';
import { databaseDirectory } from '../adapters/directory.js';
import { MockRegistry } from '../adapters/mock.js';
import type { RegistryAdapter } from '../adapters/types.js';
import { UsageError } from '../errors.js';

export interface RegistryOptions {
  registry: string;
  registryData?: string;
}

/** Builds the registry adapter chosen on the command line. */
export async function buildRegistry(opts: RegistryOptions, db: Db, log: Logger): Promise<RegistryAdapter> {
  switch (opts.registry) {
    case 'mock': {
      if (!opts.registryData) throw new UsageError('--registry mock needs --registry-data FILE (CSV: so_ddcn,so_cmnd,ho_ten,ngay_sinh,gioi_tinh)');
      if (!existsSync(opts.registryData)) throw new UsageError(`--registry-data: no such file ${opts.registryData}`);
      const started = Date.now();
      const dir = await databaseDirectory(db, opts.registryData);
      if (dir.loaded) log.info({ stage: 'registry', seconds: (Date.now() - started) / 1000, skipped: dir.skipped }, 'mock registry data loaded');
      return new MockRegistry(dir);
    }
    default:
      throw new UsageError(`unknown registry "${opts.registry}"; use --registry mock`);
  }
}
