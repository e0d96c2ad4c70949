// Forms of any size to print: people for the lists and rows for Mẫu 03, short or long (names, e-mails and column 9
// that wrap onto several lines), all made up. For scripts/print-check.ts and the printed-pages test.
import { districtLabel } from '../../src/reports/districts.js';
import { ListFileWriter } from '../../src/reports/list-file.js';
import type { EscalationRow, FormKind, ListRow } from '../../src/reports/list-row.js';
import { writeMau03, type ProgressReport, type ProgressRow } from '../../src/reports/mau03.js';
import { assess } from '../../src/reports/milestones.js';

export type Sample = 'short' | 'long';

const ISSUED = '2024-06-03T01:30:00.000Z';
const UNIT = { maTinh: '079', maHuyen: null, maDonVi: 'DV0790001', tenDonVi: 'Công ty TNHH Sao Mai & Cộng sự', diaChi: 'Số 12 Nguyễn Huệ, Quận 1' };

/** Person `i`: every third one of a long sample with a long name, an unmatched name and date, a long e-mail. */
function person(i: number, form: FormKind, sample: Sample): ListRow {
  const long = sample === 'long' && i % 3 === 0;
  const hoTen = long ? `Tôn Nữ Hoàng Thị Phương Thảo Bảo Ngọc ${i}` : `Nguyễn Văn An ${i}`;
  const email = i % 2 === 1 ? null : long ? `ton.nu.hoang.thi.phuong.thao.${i}@congty-saomai.example.vn` : `an.nguyen${i}@gmail.com`;
  const matched = form === 'mau01';
  return {
    maSoBhxh: `079${String(i).padStart(7, '0')}`, hoTen, ngaySinh: '1990-03-05', gioiTinh: 'M', soGiayTo: '012345678',
    soDdcn: matched ? '079090000001' : null, vssid: email !== null, email, status: matched ? 'MATCHED' : 'MISMATCHED',
    fields: matched ? [] : long ? ['dob', 'name'] : ['dob'], findings: [],
    detail: matched ? null : { registry: { hoTen: long ? 'Tôn Nữ Hoàng Thị Phương Thảo' : hoTen, ngaySinh: '1990-03-06', gioiTinh: 'M' } },
  };
}

function escalated(p: ListRow): EscalationRow {
  return { ...p, maDonVi: UNIT.maDonVi, tenDonVi: UNIT.tenDonVi, correctedAt: '2024-06-01T02:00:00.000Z', sourceFile: '/tmp/mau02.xlsx', sourceRow: 15 };
}

/** A list of `rows` people written to `file`. */
export async function writeSampleList(file: string, form: FormKind, rows: number, sample: Sample): Promise<void> {
  const w = ListFileWriter.open({ path: file, form, unit: UNIT, issuedAt: ISSUED });
  const people = Array.from({ length: rows }, (_, k) => person(k + 1, form, sample));
  w.add(form === 'ho-tro' ? people.map(escalated) : people);
  await w.close();
}

const AS_OF = { year: 2024, month: 8, day: 15 };
function progressRow(label: string, total: number, matched: number): ProgressRow {
  return {
    label, total, matched, matchedRate: total ? matched / total : null, matchedIncrease: 120, mismatched: total - matched, missing: 0,
    conflict: 0, pending: 0, corrected: 12, rematched: 3, escalated: 1, target: 2_000_000, vssid: 1_234_567, vssidRate: 0.617,
    vssidIncrease: 4_321, assessment: assess(total ? matched / total : null, AS_OF, AS_OF.year),
  };
}

export type Mau03Scope = 'national' | 'province' | 'district' | 'unit';

/** Mẫu 03 of `rows` rows (provinces, districts or units by name), the long sample with names that wrap. */
export async function writeSampleMau03(file: string, scope: Mau03Scope, rows: number, sample: Sample): Promise<void> {
  const label = (i: number) =>
    sample === 'long' && i % 3 === 0 ? `Thành phố Phan Rang-Tháp Chàm và vùng phụ cận số ${i}` : scope === 'national' ? `Tỉnh số ${i}` : districtLabel('79', String(760 + i));
  const report: ProgressReport = {
    province: scope === 'national' ? null : '79', period: 'month', from: { year: 2024, month: 8, day: 1 }, asOf: AS_OF,
    issuedAt: new Date('2024-08-15T03:00:00Z'),
    rows: Array.from({ length: rows }, (_, k) => progressRow(label(k + 1), 1000 + k, 600 + k)),
    total: progressRow('Tổng cộng', 1000 * rows, 600 * rows),
    ...(scope === 'district' ? { within: { kind: 'district' as const, maTinh: '79', maHuyen: '760' } } : {}),
    ...(scope === 'unit' ? { within: { kind: 'unit' as const, maDonVi: 'DV0790001', tenDonVi: UNIT.tenDonVi, maTinh: '79' } } : {}),
  };
  await writeMau03(file, report);
}
