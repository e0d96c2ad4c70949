// The test set `npm run mutate` runs against each mutant: the whole suite except the tests that drive the code
// through child processes (`ddcn …` via tsx, SIGKILL trials, the registry server as a process). A mutant is only
// active in Stryker's own test process, so those tests cannot kill one, and they take minutes.
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        'test/integration/cli.test.ts',
        'test/integration/lists-cli.test.ts',
        'test/integration/kill-resume.test.ts',
        'test/integration/http-faults.test.ts',
        '**/node_modules/**',
      ],
      // Thousands of mutants fail tests on purpose: drop their databases instead of keeping each for a look.
      env: { DDCN_TEST_DROP_FAILED: '1' },
    },
  }),
);
