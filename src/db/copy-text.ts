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
 * Waits for 'drain' when the stream asks, so memory stays bounded. Each line is encoded into a buffer as it comes:
 * lines gathered into one string survived the young generation's collections and were promoted, which in the
 * unchanged 1 M re-import (a line per row) was much of the main thread's heap growth.
 */
export class CopyWriter {
  private buf: Buffer;
  private used = 0;

  constructor(
    private readonly stream: Writable,
    private readonly threshold = 256 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(threshold);
    // A server error is reported by the next flush or by end(); this keeps it from being unhandled in between.
    stream.on('error', () => undefined);
  }

  /** One row; as line(), a promise only when the socket must be waited for (ten thousand awaits cost more than the rows). */
  row(values: ReadonlyArray<string | number | boolean | null | undefined>): Promise<void> | undefined {
    return this.line(copyLine(values));
  }

  /**
   * A line made by copyLine (whole lines only: each is encoded on its own); returns a promise only when the socket
   * must be waited for (no promise per row).
   */
  line(text: string): Promise<void> | undefined {
    // Three bytes a UTF-16 unit at most in UTF-8.
    if (text.length * 3 <= this.buf.length - this.used) {
      this.used += this.buf.write(text, this.used);
      return undefined;
    }
    const wait = this.flush();
    if (text.length * 3 > this.buf.length) {
      const sent = this.send(Buffer.from(text));
      return sent && wait ? Promise.all([wait, sent]).then(() => undefined) : (sent ?? wait);
    }
    this.used += this.buf.write(text, this.used);
    return wait;
  }

  /** COPY text already encoded (whole lines), after what is pending. */
  async bytes(chunk: Uint8Array): Promise<void> {
    await this.flush();
    await this.send(chunk);
  }

  /** Ends the COPY with a failure (the server discards it), so that the session is usable again. */
  async abort(): Promise<void> {
    if (this.stream.destroyed || this.stream.writableFinished) return;
    this.stream.destroy(new Error('import stopped'));
    await finished(this.stream).catch(() => undefined);
  }

  /**
   * Sends what is gathered; the buffer goes with it (the stream may hold it until written), a new one follows
   * unless this is the end.
   */
  private flush(last = false): Promise<void> | undefined {
    if (this.used === 0) return undefined;
    const chunk = this.buf.subarray(0, this.used);
    this.buf = last ? Buffer.alloc(0) : Buffer.allocUnsafe(this.threshold);
    this.used = 0;
    return this.send(chunk);
  }

  private send(chunk: Uint8Array): Promise<void> | undefined {
    if (this.stream.errored) return Promise.reject(this.stream.errored);
    return this.stream.write(chunk) ? undefined : once(this.stream, 'drain').then(() => undefined);
  }

  /** Sends what is left and waits until the server has taken the whole COPY. */
  async end(): Promise<void> {
    await this.flush(true);
    this.stream.end();
    await finished(this.stream);
  }
}
