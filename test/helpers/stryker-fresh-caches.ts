// Set up for `npm run mutate` only (vitest.stryker.config.ts): Stryker runs a test again in the same process for
// each mutant, so a module-level cache filled by an earlier run would answer before the mutated code runs and the
// mutant would look survived. Each test starts with the caches empty, as in a process of its own.
import { beforeEach } from 'vitest';
import { forgetJudgedTexts } from '../../src/domain/legacy-text.js';
import { forgetWordKeys } from '../../src/domain/names.js';
import { forgetRecentStrings } from '../../src/reports/xlsx/shared-strings.js';

beforeEach(() => {
  forgetJudgedTexts();
  forgetWordKeys();
  forgetRecentStrings();
});
