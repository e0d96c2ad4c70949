// Entry of a workbook reading thread (read-thread.ts). A new thread starts without the TypeScript loader its parent
// has (tsx, or vitest's transform), so it registers tsx itself before loading the readers' modules. It reads one
// file per message, one after the other, until its parent stops it.
//
// The result goes back as JSON bytes, made here: the text of many cells may be one string in the workbook (a shared
// string referenced by every cell), which a structured clone would copy once per cell outside this thread's heap and
// rebuild on the main thread, unbounded (a 29 KB file took a portal to 13.7 GB in review). Made here, the text counts
// against this thread's heap, and over `maxResultBytes` it is not sent at all.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

// Nothing a reader prints reaches the operator's terminal or the portal's log.
process.stdout.write = () => true;
process.stderr.write = () => true;

class TooLarge extends Error {}
// Written \u0001 (6 bytes for 1), or \n, \r, \t, \b, \f, \" and \\ (2 for 1).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0007\u000b\u000e-\u001f]/g;
const SHORT_ESCAPE = /["\\\n\r\t\b\f]/g;

register();
parentPort.on('message', async ({ module, fn, file, maxResultBytes }) => {
  let json;
  try {
    const reader = await import(module);
    const value = await reader[fn](file);
    // Counted as it is written, and stopped at the limit: the text is never built beyond it. Each string at its
    // width in the JSON: UTF-8 bytes, and 6 for a control character (\u0001), 2 for a line break, a quote or a backslash.
    let left = maxResultBytes;
    json = JSON.stringify({ ok: true, value }, (_key, v) => {
      if (typeof v === 'string') {
        left -= Buffer.byteLength(v, 'utf8') + 5 * (v.match(CONTROL)?.length ?? 0) + (v.match(SHORT_ESCAPE)?.length ?? 0);
        if (left < 0) throw new TooLarge();
      }
      return v;
    });
  } catch (err) {
    if (err instanceof TooLarge) json = JSON.stringify({ ok: false, limit: 'size' });
    else {
      const vi = typeof err?.vi === 'string' ? err.vi : undefined;
      json = JSON.stringify({ ok: false, error: { message: String(err?.message ?? err), user: err?.name === 'UserError', vi } });
    }
  }
  if (json.length > maxResultBytes) json = JSON.stringify({ ok: false, limit: 'size' }); // UTF-16 units: at most the bytes
  const bytes = Buffer.from(json);
  if (bytes.length > maxResultBytes) {
    parentPort.postMessage(Buffer.from(JSON.stringify({ ok: false, limit: 'size' })));
    return;
  }
  // Its own ArrayBuffer, handed over whole (a small Buffer may share Node's pool).
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  parentPort.postMessage(out, [out.buffer]);
});
