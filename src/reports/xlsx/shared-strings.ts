// The workbook's string table. Strings go here rather than inline in the sheet: exceljs's streaming reader
// decodes an inline string's entities a second time (a name holding the text "&lt;" would read back as "<"),
// and a unit's list repeats the same few strings (dates, "Nam", "X") in every row.
//
// The table is compressed as it grows, like the sheet, and only the strings met lately are remembered for reuse,
// so a list file takes the same memory whatever the number of its people. Holding every string until the end (the
// table then written with each string once) kept ~0.65 KB per person of Mẫu 01 alive in the writing thread: 7.4 MB
// for a unit of 8 000 people, 33.5 MB for 80 000; now 5–7 MB for either (one file written by a script, the heap
// measured after a forced GC; `ddcn lists` as a whole: README "Benchmark"). A string met again once it was
// forgotten is stored a second time, which the format allows (Excel keeps one when it saves): a file of 80 000
// people came out 0.7 % larger. `count` and `uniqueCount`, not known until the end, are left out: both are optional.
import { STRINGS_PART } from './package-parts.js';
import { NS, XML_DECLARATION, xmlText } from './xml.js';
import { DeflatingEntry, type CompressedEntry } from './zip.js';

/** Characters of string table XML compressed at once. */
const PIECE_CHARS = 1 << 18;
/** Strings remembered for reuse in one file; then forgotten all at once, and the next ones remembered. */
export const REMEMBERED_STRINGS = 1 << 12;

// The <si> of strings written lately: the form's own texts (head, notes, signatures) recur in every file.
const recent = new Map<string, string>();
const RECENT_MAX = 4096;
/** Forgets the strings written lately (for the mutation runs: see docs/mutation-testing.md). */
// Stryker disable next-line BlockStatement: test tooling: only the Stryker set-up file calls it, the program never does
export function forgetRecentStrings(): void {
  recent.clear();
}

function si(s: string): string {
  let xml = recent.get(s);
  // Stryker disable next-line ConditionalExpression: a cache of the XML a string always gives: the same table either way
  if (xml === undefined) {
    // Without xml:space a reader may trim the spaces at either end or the line breaks of column (9).
    xml = /^\s|\s$|\n/.test(s) ? `<si><t xml:space="preserve">${xmlText(s)}</t></si>` : `<si><t>${xmlText(s)}</t></si>`;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a cache of the XML a string always gives: the same table either way
    if (recent.size >= RECENT_MAX) recent.clear();
    recent.set(s, xml);
  }
  return xml;
}

export class SharedStrings {
  private readonly ids = new Map<string, number>();
  private readonly entry = new DeflatingEntry(STRINGS_PART);
  private xml = `${XML_DECLARATION}<sst xmlns="${NS.main}">`;
  private size = 0;

  /** `remember`: how many strings are kept for reuse (REMEMBERED_STRINGS; smaller in tests). */
  constructor(private readonly remember = REMEMBERED_STRINGS) {}

  /** The index of `s` in the table, added to it unless met lately. */
  id(s: string): number {
    let i = this.ids.get(s);
    if (i === undefined) {
      i = this.size++;
      this.xml += si(s);
      // Stryker disable next-line EqualityOperator: where a compressed piece ends moves by one string; the part is the same
      if (this.xml.length >= PIECE_CHARS) {
        this.entry.write(this.xml);
        this.xml = '';
      }
      if (this.ids.size >= this.remember) this.ids.clear();
      this.ids.set(s, i);
    }
    return i;
  }

  /** sharedStrings.xml, finished; nothing may be added after. */
  finish(): CompressedEntry {
    return this.entry.finish(`${this.xml}</sst>`);
  }
}
