// Deterministic synthetic participants and mock-registry persons (demo fixture, tests, 3-million-row benchmark).
// A generator with O(1) memory: numbers are made unique by construction (bijections of a counter), never by
// remembering what was handed out.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CCCD_PROVINCES, cccdProvinceName } from '../../src/domain/provinces.js';
import type { Field, Status } from '../../src/domain/types.js';
import { ChunkedLines } from './chunked-lines.js';
import { centuryDigit, digits6, digits9, digits10, draws, makeDdcn, mulberry32, pad2 } from './synth-numbers.js';
import * as W from './synth-names.js';
import type { NamePart } from './synth-names.js';

export const PARTICIPANT_COLUMNS = [
  'ma_so_bhxh', 'ho_ten', 'ngay_sinh', 'gioi_tinh', 'so_giay_to', 'ma_don_vi', 'ten_don_vi', 'dia_chi_don_vi',
  'ma_tinh', 'ma_huyen', 'vssid', 'email',
] as const;
export const REGISTRY_COLUMNS = ['so_ddcn', 'so_cmnd', 'ho_ten', 'ngay_sinh', 'gioi_tinh'] as const;

export type ParticipantRow = Record<(typeof PARTICIPANT_COLUMNS)[number], string>;
export type RegistryRow = Record<(typeof REGISTRY_COLUMNS)[number], string>;

/** How a participant was made to relate to the registry. */
export type SynthCase = 'match' | 'name' | 'dob' | 'sex' | 'unknown_number' | 'no_number';
export const SYNTH_CASES: readonly SynthCase[] = ['match', 'name', 'dob', 'sex', 'unknown_number', 'no_number'];

export interface Expected {
  status: Exclude<Status, 'PENDING'>;
  fields: readonly Field[]; // sorted
  soDdcn: string; // the personal number that must end up on file when MATCHED, else ''
}

export interface SynthRecord {
  participant: ParticipantRow;
  /** The person in the population registry; null when the participant's number is unknown to it. */
  registry: RegistryRow | null;
  case: SynthCase;
  expected: Expected;
}

export interface SynthOptions {
  count: number;
  seed: number;
  matchRate?: number; // default 0.9; the rest is split evenly over the five other cases
  provinces?: string[]; // ma_tinh of the managing offices, 3-digit CCCD province codes; default all 63
  unitsPerProvince?: number; // default 20
  // How unevenly people spread over a province's units: 1 (default) evenly; k > 1 puts a unit's index at
  // units × r^k (r uniform), so the first units of each province are large (k = 2, 317 units: the first ~5.6 % of
  // the province's people, the first 50 units ~40 %) and the last ones small, as employers are.
  unitSkew?: number;
  firstCode?: number; // first ma_so_bhxh as a number; default 100000001 → '0100000001'
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** One CSV record without its line terminator; fields are quoted only when they must be (RFC 4180). */
export function toCsvLine(values: readonly string[]): string {
  let out = '';
  for (let k = 0; k < values.length; k++) {
    const v = values[k] ?? '';
    if (k > 0) out += ',';
    // Leading/trailing blanks are quoted too, so a reader that trims unquoted fields still sees them.
    out += NEEDS_QUOTES.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
  }
  return out;
}

export const participantValues = (p: ParticipantRow): string[] => PARTICIPANT_COLUMNS.map((c) => p[c]);
export const registryValues = (r: RegistryRow): string[] => REGISTRY_COLUMNS.map((c) => r[c]);

export { centuryDigit, makeDdcn, mulberry32 } from './synth-numbers.js';

export interface ManagingUnit {
  ma_don_vi: string;
  ten_don_vi: string;
  dia_chi_don_vi: string;
  ma_tinh: string;
  ma_huyen: string;
}

/**
 * The unit number `unit` of the province at position `provinceIndex`. A pure function of its arguments, so the
 * fixture script can address the same units as the generator.
 */
export function managingUnit(provinces: readonly string[], provinceIndex: number, unit: number, unitsPerProvince: number): ManagingUnit {
  const maTinh = provinces[provinceIndex] ?? '000';
  const k = provinceIndex * unitsPerProvince + unit;
  const base = W.UNIT_NAMES[k % W.UNIT_NAMES.length] ?? '';
  const round = Math.floor(k / W.UNIT_NAMES.length);
  const district = unit % 10;
  // Province code × 10 + district keeps district codes 3 digits and distinct across provinces (codes ≤ 096).
  const maHuyen = String((Number(maTinh) * 10 + district) % 1000).padStart(3, '0');
  const street = W.STREETS[(k * 7) % W.STREETS.length] ?? '';
  return {
    ma_don_vi: `DV${maTinh}${String(unit + 1).padStart(4, '0')}`,
    ten_don_vi: round === 0 ? base : `${base} - Chi nhánh ${round + 1}`,
    dia_chi_don_vi: `Số ${1 + ((k * 37) % 250)} ${street}, Quận ${district + 1}, ${cccdProvinceName(maTinh) ?? `Tỉnh ${maTinh}`}`,
    ma_tinh: maTinh,
    ma_huyen: maHuyen,
  };
}

// writeSynthetic writes names unquoted: a word list entry with a CSV metacharacter would corrupt every file.
for (const list of [W.FAMILY_NAMES, W.MIDDLE_MALE, W.MIDDLE_FEMALE, W.MIDDLE_EXTRA, W.GIVEN_MALE, W.GIVEN_FEMALE]) {
  for (const w of list) if (/[",\r\n]/.test(w.text + w.ascii + (w.oldStyle ?? ''))) throw new Error(`bad word: ${w.text}`);
}

const ALL_CODES = CCCD_PROVINCES.map((p) => p.code);
const SERIAL_MULT = 481_513; // coprime with 10^6: c ↦ (c·m + salt) mod 10^6 is a bijection
const CMND_STEP = 387_420_489; // 3^18, coprime with 10^9: i ↦ (i·step + salt) mod 10^9 is a bijection

// Cumulative weights on a 0–65535 scale, to compare with a 16-bit random draw.
const FAMILY_CUM = ((w: readonly number[]) => {
  const total = w.reduce((s, x) => s + x, 0);
  let acc = 0;
  return w.map((x) => Math.round(((acc += x) / total) * 65536));
})(W.FAMILY_WEIGHTS);

const isLeap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (year: number, month: number): number => (month === 2 && isLeap(year) ? 29 : (DAYS[month - 1] ?? 31));

// Non-match answers are the same object every time (frozen): consumers must treat records as read-only.
const fixed = (status: Expected['status'], fields: Field[]): Expected =>
  Object.freeze({ status, fields: Object.freeze(fields), soDdcn: '' });
const FIXED_EXPECTED: Readonly<Record<Exclude<SynthCase, 'match'>, Expected>> = {
  name: fixed('MISMATCHED', ['name']),
  dob: fixed('MISMATCHED', ['dob']),
  sex: fixed('MISMATCHED', ['sex']),
  unknown_number: fixed('MISMATCHED', ['id_number']),
  no_number: fixed('MISSING_ID', []),
};

export function* generate(opts: SynthOptions): Generator<SynthRecord, void, undefined> {
  const { count, seed } = opts;
  const matchRate = opts.matchRate ?? 0.9;
  const provinces = opts.provinces ? [...new Set(opts.provinces)] : ALL_CODES; // a repeat would clash unit codes
  const units = opts.unitsPerProvince ?? 20;
  const skew = opts.unitSkew ?? 1;
  const firstCode = opts.firstCode ?? 100_000_001;
  if (!Number.isInteger(count) || count < 0 || count > 100_000_000) throw new RangeError('count: 0 … 100 000 000');
  if (firstCode < 0 || firstCode + count > 1e10) throw new RangeError('firstCode + count must stay within 10 digits');
  if (matchRate < 0 || matchRate > 1) throw new RangeError('matchRate: 0 … 1');
  if (provinces.length === 0 || units < 1 || units > 65536) throw new RangeError('need 1+ provinces and 1 … 65536 units');
  if (!(skew >= 1 && skew <= 16)) throw new RangeError('unitSkew: 1 … 16');

  const { below, chance } = draws(seed);
  const matchCut = Math.round(matchRate * 65536);
  let cmnd = Math.floor(mulberry32(seed ^ 0x9e3779b9)() * 1e9); // advanced by CMND_STEP per row
  // One counter per (birth province, century/sex digit, year): each has a million serials, and these 100 000
  // counters plus the prefix strings are all the state the generator keeps.
  const serialCounters = new Int32Array(100 * 10 * 100);
  const prefixes: (string | undefined)[] = [];
  const unitCache = new Map<number, ManagingUnit>(); // provinces × units entries at most

  for (let i = 0; i < count; i++) {
    const pIdx = below(provinces.length);
    // One 16-bit draw either way, so that a skew changes the units and nothing else of the people.
    const uIdx = skew === 1 ? below(units) : Math.floor(units * (below(65536) / 65536) ** skew);
    const unitKey = pIdx * units + uIdx;
    let unit = unitCache.get(unitKey);
    if (!unit) unitCache.set(unitKey, (unit = managingUnit(provinces, pIdx, uIdx, units)));

    const male = chance(0.5);
    const year = 1958 + below(50);
    const month = 1 + below(12);
    const day = 1 + below(daysIn(year, month));
    const f16 = below(65536);
    let fIdx = 0;
    while (f16 >= (FAMILY_CUM[fIdx] ?? 65536)) fIdx++;
    const family = W.FAMILY_NAMES[fIdx] as NamePart;
    const middles = male ? W.MIDDLE_MALE : W.MIDDLE_FEMALE;
    const middle = middles[below(middles.length)] as NamePart;
    const extra = !male && chance(0.2) ? (W.MIDDLE_EXTRA[below(W.MIDDLE_EXTRA.length)] as NamePart) : null;
    const givens = male ? W.GIVEN_MALE : W.GIVEN_FEMALE;
    const gIdx = below(givens.length);
    const given = givens[gIdx] as NamePart;

    // Birth province: mostly where the person works, as in life; any province otherwise.
    const own = unit.ma_tinh;
    const birthProv = chance(0.75) && cccdProvinceName(own) !== undefined ? own : (ALL_CODES[below(ALL_CODES.length)] ?? '001');
    const cKey = (Number(birthProv) * 10 + centuryDigit(male, year)) * 100 + (year % 100);
    const c = serialCounters[cKey] ?? 0;
    if (c >= 1_000_000) throw new RangeError(`out of ĐDCN serials for ${birthProv}/${year}`);
    serialCounters[cKey] = c + 1;
    const serial = (c * SERIAL_MULT + cKey * 7919 + (seed >>> 12)) % 1_000_000;
    const prefix = (prefixes[cKey] ??= makeDdcn(birthProv, male, year, 0).slice(0, 6));
    const ddcn = prefix + digits6(serial);
    cmnd = (cmnd + CMND_STEP) % 1e9;
    const cmndText = digits9(cmnd);
    const carriesCmnd = chance(0.6);

    const r = below(65536);
    const kase: SynthCase =
      r < matchCut ? 'match' : (SYNTH_CASES[1 + Math.min(4, Math.floor(((r - matchCut) * 5) / (65536 - matchCut)))] as SynthCase);

    const head = extra ? `${family.text} ${middle.text} ${extra.text} ` : `${family.text} ${middle.text} `;
    const regName = head + given.text;
    const monthYear = `/${pad2(month)}/${year}`;
    const regDob = pad2(day) + monthYear;
    const regSex = male ? 'Nam' : 'Nữ';

    // Participant side: the registry's values, then the one deliberate difference of its case.
    let pName = given.oldStyle !== null && chance(0.5) ? head + given.oldStyle : regName; // both spellings match
    if (kase === 'name') pName = head + (givens[(gIdx + 1 + below(givens.length - 1)) % givens.length] as NamePart).text;
    // (day mod 28) + 1 is another day that exists in every month; the year stays, so the ĐDCN still agrees.
    const pDob = kase === 'dob' ? pad2((day % 28) + 1) + monthYear : regDob;
    const pSex = kase === 'sex' ? (male ? 'Nữ' : 'Nam') : regSex;

    const vssid = chance(0.6);
    const code = digits10(firstCode + i);
    const email =
      vssid && chance(0.8) ? `${given.ascii}.${family.ascii}${code.slice(-4)}@${W.MAIL_DOMAINS[below(W.MAIL_DOMAINS.length)]}` : '';

    yield {
      participant: {
        ma_so_bhxh: code,
        ho_ten: pName,
        ngay_sinh: pDob,
        gioi_tinh: pSex,
        so_giay_to: kase === 'no_number' ? '' : carriesCmnd ? cmndText : ddcn,
        ma_don_vi: unit.ma_don_vi,
        ten_don_vi: unit.ten_don_vi,
        dia_chi_don_vi: unit.dia_chi_don_vi,
        ma_tinh: unit.ma_tinh,
        ma_huyen: unit.ma_huyen,
        vssid: vssid ? '1' : '0',
        email,
      },
      // A person without a number on our file still exists in the registry (a Mẫu 02 correction can find them).
      // Half of those who already carry the ĐDCN had an old CMND too, and the registry links it.
      registry:
        kase === 'unknown_number'
          ? null
          : { so_ddcn: ddcn, so_cmnd: carriesCmnd || i % 2 === 0 ? cmndText : '', ho_ten: regName, ngay_sinh: regDob, gioi_tinh: regSex },
      case: kase,
      expected: kase === 'match' ? { status: 'MATCHED', fields: [], soDdcn: ddcn } : FIXED_EXPECTED[kase],
    };
  }
}

export interface SyntheticCounts {
  participants: number;
  registry: number;
  byCase: Record<SynthCase, number>;
  byStatus: Record<Expected['status'], number>;
}

export function emptyCounts(): SyntheticCounts {
  return {
    participants: 0,
    registry: 0,
    byCase: { match: 0, name: 0, dob: 0, sex: 0, unknown_number: 0, no_number: 0 },
    byStatus: { MATCHED: 0, MISMATCHED: 0, MISSING_ID: 0, CONFLICT: 0 },
  };
}

/** Streams `participants.csv` and `registry.csv` into `dir` (created if needed), waiting for 'drain' when asked. */
export async function writeSynthetic(
  dir: string,
  opts: SynthOptions,
): Promise<{ participantsFile: string; registryFile: string; counts: SyntheticCounts }> {
  await mkdir(dir, { recursive: true });
  const participantsFile = join(dir, 'participants.csv');
  const registryFile = join(dir, 'registry.csv');
  const pOut = new ChunkedLines(createWriteStream(participantsFile));
  const rOut = new ChunkedLines(createWriteStream(registryFile));
  const counts = emptyCounts();
  const unitCsv = new Map<string, Buffer>(); // ma_don_vi → its five columns, quoted and encoded once
  try {
    pOut.add(toCsvLine(PARTICIPANT_COLUMNS));
    rOut.add(toCsvLine(REGISTRY_COLUMNS));
    for (const rec of generate(opts)) {
      const p = rec.participant;
      let unit = unitCsv.get(p.ma_don_vi);
      if (unit === undefined) {
        unit = Buffer.from(`,${toCsvLine([p.ma_don_vi, p.ten_don_vi, p.dia_chi_don_vi, p.ma_tinh, p.ma_huyen])},`);
        unitCsv.set(p.ma_don_vi, unit);
      }
      // The other columns are digit strings and words from lists that need no quoting (checked at load).
      const pFull = pOut.add3(
        `${p.ma_so_bhxh},${p.ho_ten},${p.ngay_sinh},${p.gioi_tinh},${p.so_giay_to}`,
        unit,
        `${p.vssid},${p.email}`,
      );
      counts.participants++;
      counts.byCase[rec.case]++;
      counts.byStatus[rec.expected.status]++;
      const r = rec.registry;
      let rFull = false;
      if (r) {
        rFull = rOut.add(`${r.so_ddcn},${r.so_cmnd},${r.ho_ten},${r.ngay_sinh},${r.gioi_tinh}`);
        counts.registry++;
      }
      if (pFull) await pOut.flush();
      if (rFull) await rOut.flush();
    }
    await Promise.all([pOut.end(), rOut.end()]);
  } catch (err) {
    pOut.destroy();
    rOut.destroy();
    throw new Error(`writing synthetic data to ${dir} failed`, { cause: err });
  }
  return { participantsFile, registryFile, counts };
}
