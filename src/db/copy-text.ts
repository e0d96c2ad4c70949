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
  ) {
    // A server error is reported by the next flush or by end(); this keeps it from being unhandled in between.
    stream.on('error', () => undefined);
  }

  async row(values: ReadonlyArray<string | number | boolean | null | undefined>): Promise<void> {
    this.pending += copyLine(values);
    if (this.pending.length >= this.threshold) await this.flush();
  }

  /** A line made by copyLine; returns a promise only when the socket must be waited for (no promise per row). */
  line(text: string): Promise<void> | undefined {
    this.pending += text;
    return this.pending.length >= this.threshold ? this.flush() : undefined;
  }

  /** COPY text already encoded (whole lines), after what is pending. */
  async bytes(chunk: Uint8Array): Promise<void> {
    await this.flush();
    if (this.stream.errored) throw this.stream.errored;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  /** Ends the COPY with a failure (the server discards it), so that the session is usable again. */
  async abort(): Promise<void> {
    if (this.stream.destroyed || this.stream.writableFinished) return;
    this.stream.destroy(new Error('import stopped'));
    await finished(this.stream).catch(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.pending === '') return;
    if (this.stream.errored) throw this.stream.errored;
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
