// The test set `npm run mutate` runs against each mutant: the whole suite except the tests that drive the code
// through child processes (`ddcn …` via tsx, SIGKILL trials, the registry server as a process). A mutant is only
// active in Stryker's own test process, so those tests cannot kill one, and they take minutes.
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

const config = mergeConfig(
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
      // One test process per Stryker runner on a shared machine: a slow moment is not a failure.
      testTimeout: 180_000,
      // Thousands of mutants fail tests on purpose: drop their databases instead of keeping each for a look.
      env: { DDCN_TEST_DROP_FAILED: '1' },
    },
  }),
);

// DDCN_MUTATE_TESTS (comma-separated globs) narrows the tests for a quick run on one folder, e.g. `test/unit/**`
// for src/domain: a lower bound on the score, since more tests can only kill more mutants. (Set here rather than
// merged: mergeConfig would add the globs to the suite's, not replace them.)
if (process.env.DDCN_MUTATE_TESTS) config.test!.include = process.env.DDCN_MUTATE_TESTS.split(',');

export default config;
