// The workbook's string table. Strings go here rather than inline in the sheet: exceljs's streaming reader
// decodes an inline string's entities a second time (a name holding the text "&lt;" would read back as "<"),
// and a unit's list repeats the same few strings (dates, "Nam", "X") in every row.
import { xmlText } from './xml.js';
import type { CompressedEntry, DeflatingEntry } from './zip.js';

/** Characters of string table XML compressed at once when the table is written. */
const PIECE_CHARS = 1 << 20;

// The <si> of strings written lately: the form's own texts (head, notes, signatures) recur in every file.
const recent = new Map<string, string>();
const RECENT_MAX = 4096;
/** Forgets the strings written lately (for the mutation runs: see docs/mutation-testing.md). */
export function forgetRecentStrings(): void {
  recent.clear();
}

function si(s: string): string {
  let xml = recent.get(s);
  if (xml === undefined) {
    // Without xml:space a reader may trim the spaces at either end or the line breaks of column (9).
    xml = /^\s|\s$|\n/.test(s) ? `<si><t xml:space="preserve">${xmlText(s)}</t></si>` : `<si><t>${xmlText(s)}</t></si>`;
    if (recent.size >= RECENT_MAX) recent.clear();
    recent.set(s, xml);
  }
  return xml;
}

export class SharedStrings {
  private readonly ids = new Map<string, number>();
  private readonly list: string[] = [];
  private uses = 0;

  id(s: string): number {
    this.uses += 1;
    let i = this.ids.get(s);
    if (i === undefined) {
      i = this.list.push(s) - 1;
      this.ids.set(s, i);
    }
    return i;
  }

  /** sharedStrings.xml, compressed into `entry`. */
  writeTo(entry: DeflatingEntry): CompressedEntry {
    let xml =
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
      `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${this.uses}" uniqueCount="${this.list.length}">`;
    for (const s of this.list) {
      xml += si(s);
      if (xml.length >= PIECE_CHARS) {
        entry.write(xml);
        xml = '';
      }
    }
    return entry.finish(`${xml}</sst>`);
  }
}
