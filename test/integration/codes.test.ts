// The codes an operator types (--unit, --province) are looked up by index, whatever the number of participants:
// a province that only participants are in (no unit of it) exists; one a participant has left does not.
import { describe, expect, it } from 'vitest';
import { codeExists, knownCodes } from '../../src/db/codes.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { databasePerFile, deps, useTempDir, writeParticipants, type ParticipantInput } from '../helpers/pipeline.js';

const database = databasePerFile();

const person = (i: number, over: Partial<ParticipantInput>): ParticipantInput => ({
  ma_so_bhxh: `01000000${String(i).padStart(2, '0')}`, ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '1990', gioi_tinh: 'Nam',
  so_giay_to: `02312345${i}`, ma_don_vi: 'TA0001A', ma_tinh: '01', ...over,
});

describe('codes given on the command line', () => {
  it('finds a province by its units or by its participants, and only where someone is now', async () => {
    const { db } = database();
    const dir = await useTempDir();
    // The unit's last line gives it province 01; the second person lives in 79, which no unit has.
    await importParticipants(deps(db), await writeParticipants(dir, [person(1, {}), person(2, { ma_tinh: '79' }), person(3, { ma_tinh: '48' })]));
    expect(await codeExists(db, 'province', '01')).toBe(true);
    expect(await codeExists(db, 'province', '79')).toBe(true);
    expect(await codeExists(db, 'province', '999')).toBe(false);
    expect((await knownCodes(db, 'province')).sort()).toEqual(['01', '48', '79']);
    // The third person moves from 48 to 01: nobody is in 48 any more (it stays a suggestion).
    await importParticipants(deps(db), await writeParticipants(dir, [person(1, {}), person(2, { ma_tinh: '79' }), person(3, { ma_tinh: '01' })]));
    expect(await codeExists(db, 'province', '48')).toBe(false);
    expect(await codeExists(db, 'province', '79')).toBe(true);
    expect(await codeExists(db, 'unit', 'TA0001A')).toBe(true);
    expect(await codeExists(db, 'unit', 'TA0001')).toBe(false);
    expect(await knownCodes(db, 'unit')).toEqual(['TA0001A']);
  });
});
