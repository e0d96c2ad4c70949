// Entry of a workbook reading thread (read-thread.ts). A new thread starts without the TypeScript loader its parent
// has (tsx, or vitest's transform), so it registers tsx itself before loading the readers' modules. It reads one
// file per message, one after the other, until its parent stops it.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
parentPort.on('message', async ({ module, fn, file }) => {
  try {
    const reader = await import(module);
    parentPort.postMessage({ ok: true, value: await reader[fn](file) });
  } catch (err) {
    const vi = typeof err?.vi === 'string' ? err.vi : undefined;
    parentPort.postMessage({ ok: false, error: { message: String(err?.message ?? err), user: err?.name === 'UserError', vi } });
  }
});
