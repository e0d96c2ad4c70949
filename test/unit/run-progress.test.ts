import { describe, expect, it } from 'vitest';
import { lineRunProgress } from '../../src/run-progress.js';

function screen() {
  let t = 0;
  const lines: string[] = [];
  let newlines = 0;
  const progress = lineRunProgress((l) => lines.push(l), () => newlines++, () => t);
  return { progress, lines, last: () => lines.at(-1), newlines: () => newlines, at: (ms: number) => (t = ms) };
}

describe('the run progress line', () => {
  it('shows the stage, people done of people to do, and "ETA –" while the rate is unknown', () => {
    const s = screen();
    s.progress.begin(7, 'verify', 335);
    s.progress.begin(7, 'write', 335);
    expect(s.last()).toBe('batch 7 · verify 0/335 · write 0/335 · – people/s · ETA –');
    s.at(300);
    s.progress.advance('verify', 10);
    expect(s.last()).toBe('batch 7 · verify 10/335 · write 0/335 · – people/s · ETA –');
  });

  it('gives rate and ETA from the people written once it has a second of history', () => {
    const s = screen();
    s.progress.begin(7, 'verify', 300);
    s.progress.begin(7, 'write', 300);
    s.at(500);
    s.progress.advance('write', 40);
    expect(s.last()).toContain('– people/s · ETA –');
    s.at(2000);
    s.progress.advance('verify', 60);
    s.progress.advance('write', 60); // within 200 ms of the last drawing: drawn at the end
    s.progress.end();
    expect(s.last()).toBe('batch 7 · verify 60/300 · write 100/300 · 50 people/s · ETA 4s');
  });

  it('draws nothing once the line is ended, although a step still in hand tells of its people', () => {
    const s = screen();
    s.progress.begin(7, 'verify', 300);
    s.progress.begin(7, 'write', 300);
    s.progress.end();
    const drawn = s.lines.length;
    s.at(1000);
    s.progress.advance('verify', 50);
    expect(s.lines.length).toBe(drawn);
    expect(s.newlines()).toBe(1);
  });

  it('draws nothing once closed, although a step still in hand begins the next stage', () => {
    const s = screen();
    s.progress.begin(7, 'verify', 300);
    s.progress.begin(7, 'write', 300);
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
