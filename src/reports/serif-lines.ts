// How many lines a text wraps to in a cell of the printed forms, measured with the font's own widths.
//
// `lines()` (list-layout.ts) counts characters, one per unit of column width, plus 10 % for words pushed whole to the
// next line: safe for every cell, and about a line too many for Mẫu 03's assessment ("Đang thực hiện: cần đạt 60%
// trước 30/06/2027" prints on 2 lines and was given 3), so that a national report of 63 provinces took 9 pages of
// about 8 rows. Here the words are laid out as Excel and LibreOffice lay them out, at spaces, each character by its
// advance width in Times New Roman (LibreOffice prints it with Liberation Serif, whose widths are the same).
// Hand-written: no maintained npm package gives a font's advance widths without a canvas or the font file itself;
// the table is the 95 printable ASCII characters of Times-Roman's metrics, in thousandths of an em.

const ASCII_WIDTHS = [
  250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, // space ! " # $ % & ' ( ) * + , - . /
  500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, // 0–9 : ; < = > ?
  921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722, // @ A–O
  556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500, // P–Z [ \ ] ^ _
  333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500, // ` a–o
  500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541, //      p–z { | } ~
];
/** A letter with a horn (ơ, ư) is wider than its base by the horn: counted generously. */
const HORN = 60;
/** A character outside the table (a dash, an ellipsis, a letter of another script): an em, never too little. */
const UNKNOWN = 1000;

/** Width of one character (one grapheme's base letter: the tone and the circumflex do not widen it), in 1/1000 em. */
function charWidth(ch: string): number {
  if (ch === 'đ') return 500;
  if (ch === 'Đ') return 722;
  const base = ch.normalize('NFD');
  const code = base.charCodeAt(0);
  const width = code >= 32 && code <= 126 ? ASCII_WIDTHS[code - 32]! : UNKNOWN;
  return base.includes('\u031B') ? width + HORN : width;
}

const widthOf = (word: string) => [...word.normalize('NFC')].reduce((sum, ch) => sum + charWidth(ch), 0);

/**
 * Lines `text` takes in a cell `columnWidth` characters wide (Excel's unit: the default font's digit, 7 px), in
 * Times New Roman at `size` pt. The room is the column's pixels less 8 px of margins (LibreOffice's and Excel's
 * cells keep 2–3 px a side), and 5 % less again for the screen's rounding of each letter to whole pixels (Excel
 * wraps as it shows): a little less than either prints, so that a line counted as fitting always fits.
 */
export function serifLines(text: string, columnWidth: number, size: number): number {
  const room = (((columnWidth * 7 + 5 - 8) * 0.95) / ((size * 96) / 72)) * 1000; // thousandths of an em
  const space = ASCII_WIDTHS[0]!;
  let lines = 0;
  for (const paragraph of text.split('\n')) {
    lines += 1;
    let used = 0;
    for (const word of paragraph.split(' ')) {
      const width = widthOf(word);
      if (used > 0 && used + space + width <= room) {
        used += space + width;
        continue;
      }
      if (used > 0) lines += 1;
      // A word longer than the line breaks where it reaches the edge, as the cell breaks it.
      lines += Math.max(0, Math.ceil(width / room) - 1);
      used = width % room || (width > 0 ? room : 0);
    }
  }
  return lines;
}
