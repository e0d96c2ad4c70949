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
