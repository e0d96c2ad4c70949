// Test-file order for `npm run mutate` (vitest.stryker.config.ts). Stryker runs the tests that cover a mutant in
// one vitest worker and stops at the first failure (bail), so the order decides what a killed mutant costs.
// Vitest's own order runs the slowest file first, which is right for a full suite on several workers and wrong
// here: a mutant in src/domain would wait for a whole pipeline test file before its unit test kills it.
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The longest time seen for each file. Vitest's cache keeps the last run's time, and under Stryker most runs are
// filtered down to a few tests: the longest is the whole file's, from the initial run.
const longest = new Map<string, number>();

export class FastFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const key = (f: TestSpecification) => `${f.project.name}:${path.relative(this.ctx.config.root, f.moduleId)}`;
    const known = files.map((spec) => {
      const k = key(spec);
      const last = this.ctx.cache.getFileTestResults(k);
      const time = Math.max(longest.get(k) ?? 0, last?.duration ?? 0);
      if (last) longest.set(k, time);
      // A file that failed last time most likely kills the next mutant of the same code too: it goes first.
      return { spec, failed: last?.failed ?? false, time: last ? time : Number.MAX_SAFE_INTEGER };
    });
    known.sort((a, b) => Number(b.failed) - Number(a.failed) || a.time - b.time);
    return known.map((k) => k.spec);
  }
}
