import { createLogger } from '../../src/log.js';

/** A logger whose lines an operator would read come back as JSON objects; `onLine` sees each as it is written. */
export function capturedLog(level: string, onLine: (line: Record<string, unknown>) => void = () => undefined) {
  const lines: Array<Record<string, unknown>> = [];
  const text: string[] = [];
  const log = createLogger(level, {
    write: (s: string) => {
      // pino's own numbers (time in ms, pid) blanked: tests search the text for personal data, and a timestamp such
      // as 1796412199204 holds a year of birth ("1992").
      text.push(s.replace(/"(time|pid)":\d+/g, '"$1":0'));
      const line = JSON.parse(s) as Record<string, unknown>;
      lines.push(line);
      onLine(line);
    },
  });
  return { lines, text, log };
}
