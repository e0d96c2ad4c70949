import { defineConfig } from 'vitest/config';
import SlowestFirst from './test/helpers/sequencer.js';

export default defineConfig({
  test: {
    globalSetup: ['./test/helpers/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // two cores: one file per core keeps PostgreSQL and node from fighting
    maxWorkers: 2,
    sequence: { sequencer: SlowestFirst },
  },
});
