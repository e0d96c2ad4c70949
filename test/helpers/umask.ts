import { isMainThread } from 'node:worker_threads';

/**
 * Puts the process under the umask `mask` for a test of file modes, and says which umask is in effect; `restore()`
 * puts the earlier one back. Node refuses process.umask(mask) in a worker thread, which is what Stryker's test
 * process is (`npm run mutate`; `npm test` runs its files in child processes): there the process's own umask stays,
 * and a test that states its modes as `mode & ~inEffect` checks the same rule under it instead of failing the
 * mutation run's first test pass.
 */
export function underUmask(mask: number): { inEffect: number; restore: () => void } {
  // process.umask() without an argument only reads it, which a worker thread may.
  if (!isMainThread) return { inEffect: process.umask(), restore: () => undefined };
  const before = process.umask(mask);
  return { inEffect: mask, restore: () => void process.umask(before) };
}
