/**
 * The known codes nearest to a mistyped one, for "no unit NOPE; did you mean …": codes that share its start,
 * then those within a few edits. Hand-written: a Levenshtein distance over a few thousand short codes is a dozen
 * lines and runs in milliseconds, on an error path only.
 */
export function nearestCodes(given: string, known: Iterable<string>, limit = 5): string[] {
  const want = given.trim().toUpperCase();
  const maxEdits = Math.max(1, Math.floor(want.length / 3));
  const scored: Array<{ code: string; score: number }> = [];
  for (const code of known) {
    const upper = code.toUpperCase();
    const prefix = want.length > 0 && (upper.startsWith(want) || want.startsWith(upper));
    const edits = editDistance(want, upper);
    if (prefix || edits <= maxEdits) scored.push({ code, score: prefix ? Math.min(edits, 0.5) : edits });
  }
  scored.sort((a, b) => a.score - b.score || a.code.localeCompare(b.code));
  return scored.slice(0, limit).map((s) => s.code);
}

export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
