import { createInterface } from 'node:readline';
import type { Queryable } from './pool.js';

function unescapeCopy(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  return field.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

/**
 * Streams the rows of a `COPY (…) TO STDOUT` (text format) one by one, pulling only as fast as the consumer
 * iterates, so a million rows never sit in memory.
 */
export async function* copyRows(session: Queryable, sql: string): AsyncGenerator<Array<string | null>> {
  const lines = createInterface({ input: session.copyOut(sql), crlfDelay: Infinity });
  for await (const line of lines) yield line.split('\t').map(unescapeCopy);
}
