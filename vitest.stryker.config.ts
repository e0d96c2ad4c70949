// The test set `npm run mutate` runs against each mutant: the whole suite except the tests that drive the code
// through child processes (`node bin/ddcn.js …`, SIGKILL trials, `ddcn worker`s, the registry server as a process, a
// browser) and two repeated trials. A mutant is only active in Stryker's own test process, so a child process
// cannot kill one, and those tests take minutes.
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';
import { FastFirstSequencer } from './test/helpers/fast-first-sequencer.js';

const config = mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        'test/integration/cli.test.ts',
        'test/integration/lists-cli.test.ts',
        'test/integration/kill-resume.test.ts',
        'test/integration/http-faults.test.ts',
        'test/integration/terminal-output.test.ts',
        'test/integration/operator-cli.test.ts',
        'test/integration/interrupt.test.ts',
        'test/integration/runbook-commands.test.ts',
        'test/unit/exit-code.test.ts',
        'test/portal/browser.test.ts',
        'test/integration/workers.test.ts',
        // Crash and order trials: the same small batch run 15 and 20 times over. They hold restart safety and
        // order independence; a logic mutant they would kill is killed sooner by the tests of that logic.
        'test/integration/restart.test.ts',
        'test/integration/run-order.test.ts',
        '**/node_modules/**',
      ],
      // The module caches emptied before each test: a cache filled by an earlier run hides a mutant (see the file).
      setupFiles: ['test/helpers/stryker-fresh-caches.ts'],
      // Stryker stops at a mutant's first failing test: the quick files first (see the sequencer).
      sequence: { sequencer: FastFirstSequencer },
      // A mutant that makes a test hang fails it here, in 30 s, instead of running into Stryker's timeout, which
      // restarts the test process (its global set-up builds a template database). The slowest test Stryker runs
      // takes a few seconds on a quiet machine.
      testTimeout: 30_000,
      hookTimeout: 60_000,
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
