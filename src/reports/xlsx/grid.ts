// Cells of the blocks above and below the table (the title, the head, the notes, the signatures): placed
// out of order, with merges and row heights, then written out row by row as the sheet needs them.
import { columnLetter, type CellValue } from '../list-form.js';
import type { SharedStrings } from './shared-strings.js';
import { cellXml, DEFAULT_ROW_HEIGHT } from './sheet-parts.js';

interface GridCell {
  value: CellValue;
  style: number;
}

export class Grid {
  private readonly cells = new Map<number, Map<number, GridCell>>();
  private readonly heights = new Map<number, number>();
  readonly merges: string[] = [];

  /** A value at (row, col); with `cols`/`rows`, merged over that block, every cell of it in the style. */
  put(row: number, col: number, value: CellValue, style: number, cols = 1, rows = 1): void {
    for (let r = row; r < row + rows; r++) {
      let line = this.cells.get(r);
      if (!line) this.cells.set(r, (line = new Map()));
      // Every cell of a merged block carries the style, so its borders run round the whole block.
      for (let c = col; c < col + cols; c++) line.set(c, { value: r === row && c === col ? value : null, style });
    }
    if (cols > 1 || rows > 1) this.merges.push(`${columnLetter(col)}${row}:${columnLetter(col + cols - 1)}${row + rows - 1}`);
  }

  height(row: number, points: number): void {
    this.heights.set(row, points);
  }

  /** Points of rows `first`…`last` as printed: each its height, or the default where it has none (or is not here). */
  points(first: number, last: number): number {
    let sum = 0;
    for (let r = first; r <= last; r++) sum += this.heights.get(r) ?? DEFAULT_ROW_HEIGHT;
    return sum;
  }

  /** The last row that holds a cell or a height. */
  get lastRow(): number {
    return Math.max(0, ...this.cells.keys(), ...this.heights.keys());
  }

  /** The `<row>` elements, in order. */
  rowsXml(strings: SharedStrings): string {
    // Stryker disable next-line MethodExpression,ArrowFunction,ArithmeticOperator: the blocks put their rows top to bottom, so they are in order already
    const numbers = [...new Set([...this.cells.keys(), ...this.heights.keys()])].sort((a, b) => a - b);
    let xml = '';
    for (const r of numbers) {
      const ht = this.heights.get(r);
      xml += ht === undefined ? `<row r="${r}">` : `<row r="${r}" ht="${ht}" customHeight="1">`;
      const line = this.cells.get(r);
      if (line) {
        for (const c of [...line.keys()].sort((a, b) => a - b)) {
          const cell = line.get(c)!;
          xml += cellXml(`${columnLetter(c)}${r}`, cell.style, cell.value, strings);
        }
      }
      xml += '</row>';
    }
    return xml;
  }
}
