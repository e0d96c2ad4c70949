import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nameKey } from '../../src/domain/names.js';
import { isCccdProvinceCode } from '../../src/domain/provinces.js';
import { generate, PARTICIPANT_COLUMNS, REGISTRY_COLUMNS, toCsvLine, writeSynthetic } from '../../scripts/lib/synth.js';
import type { SynthOptions, SynthRecord } from '../../scripts/lib/synth.js';

const take = (opts: SynthOptions): SynthRecord[] => [...generate(opts)];

/** Century/sex digit the ĐDCN must carry for a person (0/1 1900s, 2/3 2000s; odd = female). */
const centuryDigit = (sex: string, year: number): string =>
  String((Math.floor(year / 100) - 19) * 2 + (sex === 'Nữ' ? 1 : 0));

const N = 50_000;
const big = take({ count: N, seed: 42 });

describe('generate: determinism', () => {
  it('gives the same rows for the same seed and options', () => {
    expect(take({ count: 2000, seed: 7 })).toEqual(take({ count: 2000, seed: 7 }));
  });

  it('with unitSkew, spreads people unevenly over the units and changes nothing else of them', () => {
    const opts = { count: 20_000, seed: 7, unitsPerProvince: 100 };
    const even = take(opts);
    const skewed = take({ ...opts, unitSkew: 2 });
    expect(take({ ...opts, unitSkew: 1 })).toEqual(even);
    const unitFields = ['ma_don_vi', 'ten_don_vi', 'dia_chi_don_vi', 'ma_tinh', 'ma_huyen'] as const;
    const rest = (r: SynthRecord) => ({
      ...r.participant,
      ...Object.fromEntries(unitFields.map((f) => [f, ''])),
      registry: r.registry,
    });
    expect(skewed.map(rest)).toEqual(even.map(rest));
    const sizes = (rows: SynthRecord[]) => {
      const n = new Map<string, number>();
      for (const r of rows) n.set(r.participant.ma_don_vi, (n.get(r.participant.ma_don_vi) ?? 0) + 1);
      return [...n.values()].sort((a, b) => b - a);
    };
    // 20 000 people over 63 × 100 units: ~3 a unit evenly; the largest skewed unit holds ~5.6 % of its province's.
    expect(sizes(even)[0]).toBeLessThan(15);
    expect(sizes(skewed)[0]).toBeGreaterThan(20);
  });

  it('gives other rows for another seed', () => {
    const a = take({ count: 50, seed: 7 }).map((r) => r.participant.ho_ten + r.participant.so_giay_to);
    const b = take({ count: 50, seed: 8 }).map((r) => r.participant.ho_ten + r.participant.so_giay_to);
    expect(a).not.toEqual(b);
  });

  it('is lazy: the first of a hundred million rows comes at once', () => {
    const first = generate({ count: 100_000_000, seed: 1 }).next();
    expect(first.done).toBe(false);
  });
});

describe('generate: numbers', () => {
  it('hands out unique 10-digit ma_so_bhxh from firstCode, leading zeros kept', () => {
    const codes = big.map((r) => r.participant.ma_so_bhxh);
    expect(codes[0]).toBe('0100000001');
    expect(new Set(codes).size).toBe(N);
    expect(codes.every((c) => /^\d{10}$/.test(c))).toBe(true);
  });

  it('never gives two people the same ĐDCN or old CMND', () => {
    const ddcn = new Set<string>();
    const cmnd = new Set<string>();
    const repeats: string[] = [];
    for (const { participant: p, registry: r } of big) {
      // An unknown number belongs to nobody in the registry, but must still not be anybody else's.
      const own12 = r?.so_ddcn ?? (p.so_giay_to.length === 12 ? p.so_giay_to : '');
      const own9 = r?.so_cmnd || (p.so_giay_to.length === 9 ? p.so_giay_to : '');
      if (own12 && ddcn.has(own12)) repeats.push(own12);
      if (own9 && cmnd.has(own9)) repeats.push(own9);
      if (own12) ddcn.add(own12);
      if (own9) cmnd.add(own9);
    }
    expect(repeats).toEqual([]);
    expect(ddcn.size).toBeGreaterThan(N * 0.95);
  });

  it('builds ĐDCN from province of birth, century/sex digit and birth year', () => {
    const wrong: string[] = [];
    for (const { registry: r } of big) {
      if (!r) continue;
      const year = Number(r.ngay_sinh.slice(-4));
      const ok =
        /^\d{12}$/.test(r.so_ddcn) &&
        isCccdProvinceCode(r.so_ddcn.slice(0, 3)) &&
        r.so_ddcn[3] === centuryDigit(r.gioi_tinh, year) &&
        r.so_ddcn.slice(4, 6) === String(year % 100).padStart(2, '0');
      if (!ok) wrong.push(`${r.so_ddcn} ${r.gioi_tinh} ${r.ngay_sinh}`);
    }
    expect(wrong).toEqual([]);
    // Both centuries occur, so both digit pairs are exercised.
    expect(big.some((r) => r.registry?.so_ddcn[3] === '2')).toBe(true);
    expect(big.some((r) => r.registry?.so_ddcn[3] === '1')).toBe(true);
  });

  it('has about 60 % carrying the old 9-digit CMND, linked in the registry', () => {
    const numbered = big.filter((r) => r.participant.so_giay_to !== '');
    const nine = numbered.filter((r) => r.participant.so_giay_to.length === 9);
    expect(nine.length / numbered.length).toBeCloseTo(0.6, 1);
    const unlinked = nine.filter((r) => r.registry && r.registry.so_cmnd !== r.participant.so_giay_to);
    expect(unlinked).toEqual([]);
  });
});

describe('generate: outcomes', () => {
  it('matches about matchRate of participants and splits the rest over the five other cases', () => {
    const byCase = new Map<string, number>();
    for (const r of big) byCase.set(r.case, (byCase.get(r.case) ?? 0) + 1);
    expect((byCase.get('match') ?? 0) / N).toBeGreaterThan(0.89);
    expect((byCase.get('match') ?? 0) / N).toBeLessThan(0.91);
    for (const c of ['name', 'dob', 'sex', 'unknown_number', 'no_number']) {
      expect((byCase.get(c) ?? 0) / N).toBeGreaterThan(0.015);
      expect((byCase.get(c) ?? 0) / N).toBeLessThan(0.025);
    }
  });

  it('follows another matchRate', () => {
    const rows = take({ count: 20_000, seed: 3, matchRate: 0.5 });
    const matched = rows.filter((r) => r.expected.status === 'MATCHED').length / rows.length;
    expect(matched).toBeGreaterThan(0.48);
    expect(matched).toBeLessThan(0.52);
  });

  it('makes each case differ from the registry in exactly its field', () => {
    const wrong: string[] = [];
    for (const { participant: p, registry: r, case: kase, expected } of big) {
      const fields = expected.fields.join(';');
      let ok: boolean;
      if (kase === 'unknown_number') ok = r === null && expected.status === 'MISMATCHED' && fields === 'id_number';
      else if (!r) ok = false;
      else {
        ok =
          (nameKey(p.ho_ten) === nameKey(r.ho_ten)) === (kase !== 'name') &&
          (p.ngay_sinh === r.ngay_sinh) === (kase !== 'dob') &&
          (p.gioi_tinh === r.gioi_tinh) === (kase !== 'sex') &&
          (p.so_giay_to === '') === (kase === 'no_number') &&
          (kase === 'match'
            ? expected.status === 'MATCHED' && fields === '' && expected.soDdcn === r.so_ddcn
            : kase === 'no_number'
              ? expected.status === 'MISSING_ID' && fields === ''
              : expected.status === 'MISMATCHED' && fields === kase);
      }
      if (!ok) wrong.push(p.ma_so_bhxh);
    }
    expect(wrong).toEqual([]);
  });

  it('writes fields in the forms of interface.md', () => {
    const wrong = big.filter(
      ({ participant: p }) =>
        !/^\d{2}\/\d{2}\/\d{4}$/.test(p.ngay_sinh) ||
        !['Nam', 'Nữ'].includes(p.gioi_tinh) ||
        !['1', '0'].includes(p.vssid) ||
        (p.email !== '' && p.vssid !== '1') ||
        p.ho_ten !== p.ho_ten.normalize('NFC'),
    );
    expect(wrong).toEqual([]);
  });
});

describe('toCsvLine', () => {
  it('quotes only fields that need it', () => {
    expect(toCsvLine(['0100000001', 'Nguyễn Văn A', ''])).toBe('0100000001,Nguyễn Văn A,');
    expect(toCsvLine(['a,b', 'say "hi"', 'x\ny', ' pad '])).toBe('"a,b","say ""hi""","x\ny"," pad "');
  });
});

describe('writeSynthetic', () => {
  it('streams both files with headers and reports what it wrote', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ddcn-synth-'));
    try {
      const { participantsFile, registryFile, counts } = await writeSynthetic(dir, { count: 3000, seed: 5 });
      const pLines = (await readFile(participantsFile, 'utf8')).split('\n');
      const rLines = (await readFile(registryFile, 'utf8')).split('\n');
      expect(pLines[0]).toBe(PARTICIPANT_COLUMNS.join(','));
      expect(rLines[0]).toBe(REGISTRY_COLUMNS.join(','));
      expect(pLines.length - 2).toBe(3000); // header + trailing newline
      expect(rLines.length - 2).toBe(counts.registry);
      expect(counts.registry).toBe(3000 - counts.byCase.unknown_number);
      const rows = take({ count: 3000, seed: 5 });
      const first = rows[0];
      if (!first) throw new Error('no rows');
      expect(pLines[1]).toBe(toCsvLine(PARTICIPANT_COLUMNS.map((c) => first.participant[c])));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
