import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that took longest (30 s or more) in a measured run of the suite, slowest first: most start real
 * processes and wait on them (SIGKILL trials, workers, the demo), and are small files.
 */
const SLOWEST = [
  'integration/kill-resume.test.ts',
  'integration/workers.test.ts',
  'integration/operator-cli.test.ts',
  'integration/demo-guard.test.ts',
  'integration/interrupt.test.ts',
  'integration/db-watch.test.ts',
  'portal/corrections.test.ts',
  'integration/stdout-pipe.test.ts',
  'integration/restart.test.ts',
  'integration/file-exchange.test.ts',
  'integration/job-queue.test.ts',
  'integration/run-lock.test.ts',
];

/**
 * Without durations from an earlier run (a fresh clone, CI) vitest starts the largest files first, and the slowest
 * files, being small, started last: one of them kept a core busy for a minute or more after the other had run out
 * of files. They go first; with durations known, vitest's own order (longest first) is kept.
 */
export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const known = files.every((f) => this.ctx.cache.getFileTestResults(`${f.project.name}:${path.relative(root, f.moduleId)}`));
    if (known) return sorted;
    const rank = (f: TestSpecification) => {
      const i = SLOWEST.indexOf(path.relative(path.join(root, 'test'), f.moduleId).split(path.sep).join('/'));
      return i < 0 ? SLOWEST.length : i;
    };
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}
