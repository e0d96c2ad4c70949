// Lines of text into a write stream, encoded straight into large buffers. Encoding line by line into a buffer
// is several times faster than joining strings and letting the stream encode them, which is what bounds
// how fast the benchmark's millions of CSV rows can be written.
import { once } from 'node:events';
import type { Writable } from 'node:stream';

const SIZE = 256 * 1024;
const RESERVE = 16 * 1024; // a UTF-16 code unit takes at most 3 bytes, so any line ≤ RESERVE/3 units fits

export class ChunkedLines {
  private buf = Buffer.allocUnsafe(SIZE);
  private pos = 0;

  private failure: unknown = null;

  constructor(private readonly out: Writable) {
    // An 'error' with no listener would crash the process (e.g. the file cannot be opened while we are busy
    // generating); keep it and report it from the next call instead.
    out.on('error', (err) => {
      this.failure ??= err;
    });
  }

  /** Appends `line` + '\n'. Returns true when the chunk is full: await flush() before the next add(). */
  add(line: string): boolean {
    this.check();
    if (line.length >= RESERVE / 3) throw new RangeError(`line of ${line.length} characters is too long`);
    if (SIZE - this.pos < RESERVE) throw new Error('ChunkedLines: flush() was not awaited');
    this.pos += this.buf.write(line, this.pos);
    this.buf[this.pos++] = 0x0a;
    return SIZE - this.pos < RESERVE;
  }

  /** Appends `head` + `middle` (already UTF-8) + `tail` + '\n': saves encoding a repeated middle every time. */
  add3(head: string, middle: Buffer, tail: string): boolean {
    this.check();
    if (head.length + middle.length + tail.length >= RESERVE / 3) throw new RangeError('line too long');
    if (SIZE - this.pos < RESERVE) throw new Error('ChunkedLines: flush() was not awaited');
    this.pos += this.buf.write(head, this.pos);
    this.pos += middle.copy(this.buf, this.pos);
    this.pos += this.buf.write(tail, this.pos);
    this.buf[this.pos++] = 0x0a;
    return SIZE - this.pos < RESERVE;
  }

  /** Hands the chunk to the stream (a fresh buffer follows: the stream keeps the old one) and respects backpressure. */
  async flush(): Promise<void> {
    this.check();
    if (this.pos === 0) return;
    const chunk = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(SIZE);
    this.pos = 0;
    // once() also rejects when the stream emits 'error' while we wait.
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }

  async end(): Promise<void> {
    await this.flush();
    this.out.end();
    await once(this.out, 'finish');
  }

  private check(): void {
    if (this.failure !== null) throw this.failure;
  }

  destroy(): void {
    this.out.destroy();
  }
}
