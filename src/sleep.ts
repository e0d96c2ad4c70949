/**
 * Waits `ms`, or rejects with the signal's own reason (an InterruptedError after Ctrl-C, say) as soon as it is
 * aborted: the registry client's retries (src/adapters/retry.ts) and the migration runner's waits use it.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
