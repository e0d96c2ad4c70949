import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/** One line of PostgreSQL COPY text format; null → \N. Hand-written: it is four replacements. */
export function copyLine(values: ReadonlyArray<string | number | boolean | null | undefined>): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += '\t';
    const v = values[i];
    if (v === null || v === undefined) out += '\\N';
    else out += escapeCopy(String(v));
  }
  return out + '\n';
}

const SPECIAL = /[\\\t\n\r]/;

function escapeCopy(s: string): string {
  if (!SPECIAL.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/**
 * Feeds a COPY … FROM STDIN stream in large pieces: one socket write per row costs more than making the row.
 * Waits for 'drain' when the stream asks, so memory stays bounded.
 */
export class CopyWriter {
  private pending = '';

  constructor(
    private readonly stream: Writable,
    private readonly threshold = 256 * 1024,
  ) {}

  async row(values: ReadonlyArray<string | number | boolean | null | undefined>): Promise<void> {
    this.pending += copyLine(values);
    if (this.pending.length >= this.threshold) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending === '') return;
    const chunk = this.pending;
    this.pending = '';
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  /** Sends what is left and waits until the server has taken the whole COPY. */
  async end(): Promise<void> {
    await this.flush();
    this.stream.end();
    await finished(this.stream);
  }
}
