import { describe, expect, it } from 'vitest';
import { lineRunProgress } from '../../src/run-progress.js';

function screen() {
  let t = 0;
  const lines: string[] = [];
  let newlines = 0;
  const progress = lineRunProgress((l) => lines.push(l), () => newlines++, () => t);
  return { progress, lines, last: () => lines.at(-1), newlines: () => newlines, at: (ms: number) => (t = ms) };
}

/** A line whose batch 7 has begun verifying and writing `total` people, `done` of them done before. */
function begun(total: number, done = { verify: 0, write: 0 }) {
  const s = screen();
  s.progress.begin(7, 'verify', total, done.verify);
  s.progress.begin(7, 'write', total, done.write);
  return s;
}

describe('the run progress line', () => {
  it('shows the stage, people done of people to do, and "ETA –" while the rate is unknown', () => {
    const s = begun(335);
    expect(s.last()).toBe('batch 7 · verify 0/335 · write 0/335 · – people/s · ETA –');
    s.at(300);
    s.progress.advance('verify', 10);
    expect(s.last()).toBe('batch 7 · verify 10/335 · write 0/335 · – people/s · ETA –');
  });

  it('gives rate and ETA of the phase under way, verifying and then writing, once it has a second of history', () => {
    const s = begun(300);
    s.at(500);
    s.progress.advance('verify', 100);
    expect(s.last()).toBe('batch 7 · verify 100/300 · write 0/300 · – people/s · ETA –');
    s.at(2000);
    s.progress.advance('verify', 100);
    expect(s.last()).toBe('batch 7 · verify 200/300 · write 0/300 · 100 people/s · ETA 1s');
    s.at(3000);
    s.progress.advance('verify', 100); // the last chunk verified: writing starts
    // Writing's own rate, from the end of verifying, once it rests on a second.
    s.at(3500);
    s.progress.advance('write', 150);
    expect(s.last()).toBe('batch 7 · verify 300/300 · write 150/300 · – people/s · ETA –');
    s.at(4000);
    s.progress.advance('write', 50);
    expect(s.last()).toBe('batch 7 · verify 300/300 · write 200/300 · 200 people/s · ETA 1s');
  });

  it('counts, for a resumed batch, the people done before it, and the rate of what this run does', () => {
    const s = begun(300, { verify: 120, write: 0 });
    expect(s.last()).toBe('batch 7 · verify 120/300 · write 0/300 · – people/s · ETA –');
    s.at(2000);
    s.progress.advance('verify', 60);
    expect(s.last()).toBe('batch 7 · verify 180/300 · write 0/300 · 30 people/s · ETA 4s');
    // Resumed past verifying: writing's rate from the resumption, not from the end of its first chunk.
    const w = begun(100_000, { verify: 100_000, write: 50_000 });
    w.at(10_000);
    w.progress.advance('write', 10_000);
    expect(w.last()).toBe('batch 7 · verify 100,000/100,000 · write 60,000/100,000 · 1,000 people/s · ETA 40s');
  });

  it('draws nothing once the line is ended, although a step still in hand tells of its people', () => {
    const s = begun(300);
    s.progress.end();
    const drawn = s.lines.length;
    s.at(1000);
    s.progress.advance('verify', 50);
    expect(s.lines.length).toBe(drawn);
    expect(s.newlines()).toBe(1);
  });

  it('draws nothing once closed, although a step still in hand begins the next stage', () => {
    const s = begun(300);
    s.progress.close();
    const drawn = s.lines.length;
    // The last write step, finishing after an interrupt, moves the batch on to sharing (chunk-work.ts, startPhase).
    s.progress.end();
    s.progress.begin(7, 'share', 0);
    s.progress.advance('share', 50);
    expect(s.lines.length).toBe(drawn);
    expect(s.newlines()).toBe(1);
  });

  it('draws the share step on a line of its own, counting people without a known total', () => {
    const s = screen();
    s.progress.begin(3, 'verify', 20);
    s.progress.begin(3, 'write', 20);
    s.at(1000);
    s.progress.advance('verify', 20);
    s.progress.advance('write', 20);
    s.progress.end();
    expect(s.newlines()).toBe(1);
    s.progress.begin(3, 'share', 0);
    expect(s.last()).toBe('batch 3 · share 0 · – people/s · ETA –');
    s.at(3500);
    s.progress.advance('share', 500);
    expect(s.last()).toBe('batch 3 · share 500 · 200 people/s · ETA –');
    s.progress.end();
    expect(s.newlines()).toBe(2);
  });
});
