/** Progress for long work: a redrawn line on a TTY, nothing otherwise (logs carry the facts). */
export interface Progress {
  start(label: string, total: number): void;
  tick(done: number): void;
  end(): void;
}

export const silentProgress: Progress = { start() {}, tick() {}, end() {} };

/** Hand-written rather than a progress-bar package: one line with count, rate and ETA is all it needs. */
export function ttyProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return silentProgress;
  let label = '';
  let total = 0;
  let started = 0;
  let lastDraw = 0;
  const fmt = new Intl.NumberFormat('en-US');
  const draw = (done: number, final = false) => {
    const now = Date.now();
    if (!final && now - lastDraw < 200) return;
    lastDraw = now;
    const secs = (now - started) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const eta = rate > 0 && total > done ? Math.ceil((total - done) / rate) : 0;
    if (total <= 0) {
      // Size unknown (a streamed file): count and rate only.
      stream.write(`\r${label} ${fmt.format(done)} rows · ${fmt.format(Math.round(rate))}/s · ${Math.round(secs)}s  `);
      return;
    }
    const pct = Math.min(100, Math.floor((100 * done) / total));
    const width = 24;
    const filled = Math.round((width * pct) / 100);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    stream.write(`\r${label} ${bar} ${pct}% ${fmt.format(done)}/${fmt.format(total)} · ${fmt.format(Math.round(rate))}/s · ETA ${eta}s  `);
  };
  return {
    start(l, t) {
      label = l;
      total = t;
      started = Date.now();
      lastDraw = 0;
      draw(0, true);
    },
    tick: (done) => draw(done),
    end() {
      stream.write('\n');
    },
  };
}
