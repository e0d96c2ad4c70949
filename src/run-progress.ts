/**
 * `ddcn run`'s progress, in people: how many the registry has answered (verify), how many are written (write),
 * and, after the last chunk, how many were shared back (share). A small interface the run calls; the CLI draws it.
 */
export type RunStage = 'verify' | 'write' | 'share';

export interface RunProgress {
  /** A stage starts with this many people to do (0: not known ahead), `done` of them done already (a resumed batch). */
  begin(batchId: number, stage: RunStage, total: number, done?: number): void;
  /** People a stage has just finished: one call per registry request, per chunk written, per share request. */
  advance(stage: RunStage, people: number): void;
  /** Ends the line (a stage may begin a new one: sharing does). */
  end(): void;
  /**
   * Ends the line for good: the run is over (done, failed or interrupted). A step still in hand, which may finish
   * meanwhile and begin the next stage, draws nothing more: what the command says next starts on a line of its own.
   */
  close(): void;
}

interface StageState {
  total: number;
  done: number;
  /**
   * Done when its rate started to be measured, and when: the rate is of this run's own work. Verify and share from
   * their begin; write from the end of verifying (its first chunk written), as writing starts once all are verified.
   */
  from: { done: number; at: number } | null;
}

const fmt = new Intl.NumberFormat('en-US');

/** The rate is shown once it rests on this much time: before that, "ETA –" rather than a wild guess. */
const RATE_AFTER_MS = 1000;

/** One redrawn line on stderr when it is a terminal; nothing otherwise (the logs and the summary carry the facts). */
export function ttyRunProgress(stream: NodeJS.WriteStream = process.stderr, clock: () => number = Date.now): RunProgress | undefined {
  if (!stream.isTTY) return undefined;
  return lineRunProgress((line) => stream.write(`\r${line}\x1b[K`), () => stream.write('\n'), clock);
}

/** The line itself, for any writer (tests read it). Redrawn at most every 200 ms, and at every stage change. */
export function lineRunProgress(draw: (line: string) => void, newline: () => void, clock: () => number = Date.now): RunProgress {
  const stages = new Map<RunStage, StageState>();
  let batch = 0;
  let current: RunStage = 'verify';
  let lastDraw = 0;
  let lastVerified: number | null = null;
  let open = false;
  let closed = false;

  const render = () => {
    const now = clock();
    const parts = [`batch ${batch}`];
    for (const stage of current === 'share' ? (['share'] as const) : (['verify', 'write'] as const)) {
      const s = stages.get(stage);
      if (s) parts.push(s.total > 0 ? `${stage} ${fmt.format(s.done)}/${fmt.format(s.total)}` : `${stage} ${fmt.format(s.done)}`);
    }
    // Rate and ETA of the phase under way: the batch verifies every chunk (asking the registry, most of a night),
    // then writes them, then shares; the ETA is that phase's end.
    const write = stages.get('write');
    const lead = stages.get(current === 'share' ? 'share' : write?.from ? 'write' : 'verify') ?? { total: 0, done: 0, from: null };
    const elapsed = lead.from ? now - lead.from.at : 0;
    const rate = lead.from && elapsed >= RATE_AFTER_MS && lead.done > lead.from.done ? ((lead.done - lead.from.done) * 1000) / elapsed : null;
    parts.push(rate === null ? '– people/s' : `${fmt.format(Math.round(rate))} people/s`);
    const left = lead.total - lead.done;
    parts.push(rate === null || lead.total === 0 ? 'ETA –' : `ETA ${formatSeconds(left / rate)}`);
    draw(parts.join(' · '));
    lastDraw = now;
  };

  const end = () => {
    if (!open) return;
    render();
    newline();
    open = false;
  };

  return {
    begin(batchId, stage, total, done = 0) {
      if (closed) return;
      batch = batchId;
      // Writing is measured from the end of verifying (its first advance), or from now when the batch is resumed
      // past verifying (nothing to verify here: no end of it to measure from).
      const verified = stages.get('verify');
      const writing = stage === 'write' && done === 0 && !(verified && verified.total > 0 && verified.done >= verified.total);
      stages.set(stage, { total, done, from: writing ? null : { done, at: clock() } });
      if (stage !== 'write' || !open) {
        // verify and write start together; share starts a line of its own with a rate of its own.
        if (open && stage === 'share') newline();
        current = stage === 'share' ? 'share' : 'verify';
      }
      open = true;
      render();
    },
    advance(stage, people) {
      const s = stages.get(stage);
      // Nothing is drawn between a stage's end and the next one's begin, nor once the line is closed.
      if (!s || !open) return;
      if (stage === 'verify') lastVerified = clock();
      s.from ??= { done: s.done, at: lastVerified ?? clock() };
      s.done += people;
      if (clock() - lastDraw >= 200 || (s.total > 0 && s.done >= s.total)) render();
    },
    end,
    close() {
      end();
      closed = true;
    },
  };
}

/** A span as an operator reads it: `42s`, `3m05s`, `2h10m`. */
export function formatSeconds(s: number): string {
  const secs = Math.max(0, Math.ceil(s));
  if (secs < 60) return `${secs}s`;
  const m = Math.floor(secs / 60);
  if (m < 60) return `${m}m${String(secs % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h${String(m % 60).padStart(2, '0')}m` : `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}
