import type ExcelJS from 'exceljs';

/** Text of an exceljs cell value; dates as yyyy-mm-dd (UTC parts, as Excel stores them). */
export function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('formula' in value || 'sharedFormula' in value) return cellText((value as ExcelJS.CellFormulaValue).result as ExcelJS.CellValue);
  if ('text' in value) return String(value.text);
  // Stryker disable next-line ConditionalExpression: an error value is the last kind of exceljs cell value: nothing reaches the line after it
  if ('error' in value) return '';
  return String(value);
}
