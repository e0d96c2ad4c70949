import { distance } from 'fastest-levenshtein';

/**
 * The known codes nearest to a mistyped one, for "no unit NOPE; did you mean …": codes that share its start,
 * then those within a few edits (Levenshtein distance, from fastest-levenshtein, as for the names' hints).
 */
export function nearestCodes(given: string, known: Iterable<string>, limit = 5): string[] {
  const want = given.trim().toUpperCase();
  const maxEdits = Math.max(1, Math.floor(want.length / 3));
  const scored: Array<{ code: string; score: number }> = [];
  for (const code of known) {
    const upper = code.toUpperCase();
    const prefix = want.length > 0 && (upper.startsWith(want) || want.startsWith(upper));
    const edits = distance(want, upper);
    if (prefix || edits <= maxEdits) scored.push({ code, score: prefix ? Math.min(edits, 0.5) : edits });
  }
  scored.sort((a, b) => a.score - b.score || a.code.localeCompare(b.code));
  return scored.slice(0, limit).map((s) => s.code);
}
