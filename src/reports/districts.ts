// District names for Mẫu 03, from reference/don-vi-hanh-chinh.csv (GSO's list of 06/10/2019; see reference/README.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { provinceKey } from '../domain/provinces.js';

const FILE = fileURLToPath(new URL('../../reference/don-vi-hanh-chinh.csv', import.meta.url));

let byKey: Map<string, string> | null = null;

function load(): Map<string, string> {
  const map = new Map<string, string>();
  // Plain comma-separated, no quoted fields (the file is ours and has none): a CSV library would add nothing.
  // Stryker disable next-line MethodExpression: without trim the file's final newline adds one empty row, which the check below skips
  const [, ...rows] = readFileSync(FILE, 'utf8').trim().split('\n');
  for (const row of rows) {
    const [maTinh, , , maHuyen, tenHuyen] = row.split(',');
    // Stryker disable next-line ConditionalExpression,LogicalOperator: every row of the file has all its fields; the check is for the type checker (and the empty row a final newline would make)
    if (maTinh && maHuyen && tenHuyen) map.set(`${provinceKey(maTinh)}/${maHuyen}`, tenHuyen);
  }
  return map;
}

/** `Quận Ba Đình`, or null for a code not in the list (or not of that province); `01` and `001` alike. */
export function districtName(maTinh: string, maHuyen: string): string | null {
  byKey ??= load();
  return byKey.get(`${provinceKey(maTinh)}/${maHuyen}`) ?? null;
}

/** The row label of a district in a province report: its name and code, or the code alone. */
export function districtLabel(maTinh: string, maHuyen: string | null): string {
  if (maHuyen === null) return '(chưa có mã huyện)';
  const name = districtName(maTinh, maHuyen);
  return name === null ? `Quận, huyện mã ${maHuyen}` : `${name} (${maHuyen})`;
}

/**
 * The province (3-digit form) that has this district code in the list, or null. GSO numbers districts across the
 * country, so a code is of one province at most: a target's district found under another is a slip of a column.
 */
export function provinceOfDistrict(maHuyen: string): string | null {
  byKey ??= load();
  for (const key of byKey.keys()) {
    const [maTinh, code] = key.split('/') as [string, string];
    if (code === maHuyen) return maTinh;
  }
  return null;
}
