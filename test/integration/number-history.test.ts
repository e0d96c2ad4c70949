// Plan I.3: the ĐDCN replaces the number on file and the old number stays searchable, whatever its length: the
// 9-digit CMND, the 12-digit CMND some provinces issued, and numbers that lost a leading zero in a spreadsheet.
import { describe, expect, it } from 'vitest';
import { lookupNumber } from '../../src/db/results.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import {
  databasePerFile, deps, mockRegistry, rows, runDeps, useTempDir, writeParticipants, writeRegistry,
  type ParticipantInput, type RegistryInput,
} from '../helpers/pipeline.js';

const database = databasePerFile();

const unit = { ma_don_vi: 'TA0001A', ma_tinh: '01' };
const PEOPLE: ParticipantInput[] = [
  // a 12-digit old CMND that is not an ĐDCN
  { ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam', so_giay_to: '025123456789', ...unit },
  // a 9-digit old CMND
  { ma_so_bhxh: '0100000002', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ', so_giay_to: '023456781', ...unit },
  // a 12-digit CMND that lost its leading zero (11 digits in the file)
  { ma_so_bhxh: '0100000003', ho_ten: 'Lê Văn Ba', ngay_sinh: '1971', gioi_tinh: 'Nam', so_giay_to: '31987654321', ...unit },
  // already holds the ĐDCN: nothing is replaced
  { ma_so_bhxh: '0100000004', ho_ten: 'Phạm Thị Bốn', ngay_sinh: '1992', gioi_tinh: 'Nữ', so_giay_to: '001192000004', ...unit },
];
const REGISTRY: RegistryInput[] = [
  { so_ddcn: '001090000001', so_cmnd: '025123456789', ho_ten: 'Nguyễn Văn Hùng', ngay_sinh: '05/03/1990', gioi_tinh: 'Nam' },
  { so_ddcn: '079185000002', so_cmnd: '023456781', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ' },
  { so_ddcn: '001071000003', so_cmnd: '031987654321', ho_ten: 'Lê Văn Ba', ngay_sinh: '20/10/1971', gioi_tinh: 'Nam' },
  { so_ddcn: '001192000004', ho_ten: 'Phạm Thị Bốn', ngay_sinh: '1992', gioi_tinh: 'Nữ' },
];

async function verified() {
  const { db } = database();
  const dir = await useTempDir();
  await importParticipants(deps(db), await writeParticipants(dir, PEOPLE));
  const result = await runBatch(runDeps(db, await mockRegistry(await writeRegistry(dir, REGISTRY))), { province: null });
  expect(result.counts).toMatchObject({ read: 4, matched: 4 });
  return db;
}

describe('number history: the old number stays searchable', () => {
  it('keeps a replaced 12-digit old CMND, a 9-digit one and a repaired one in number_history, and nothing for a number that was already the ĐDCN', async () => {
    const db = await verified();
    expect(await rows(db, 'SELECT ma_so_bhxh, so_cu, so_moi, source FROM number_history ORDER BY ma_so_bhxh')).toEqual([
      { ma_so_bhxh: '0100000001', so_cu: '025123456789', so_moi: '001090000001', source: 'registry' },
      { ma_so_bhxh: '0100000002', so_cu: '023456781', so_moi: '079185000002', source: 'registry' },
      { ma_so_bhxh: '0100000003', so_cu: '031987654321', so_moi: '001071000003', source: 'registry' },
    ]);
    expect(await rows(db, 'SELECT ma_so_bhxh, so_giay_to FROM participant ORDER BY 1')).toEqual([
      { ma_so_bhxh: '0100000001', so_giay_to: '001090000001' },
      { ma_so_bhxh: '0100000002', so_giay_to: '079185000002' },
      { ma_so_bhxh: '0100000003', so_giay_to: '001071000003' },
      { ma_so_bhxh: '0100000004', so_giay_to: '001192000004' },
    ]);
  });

  it('finds the participant by the replaced 12-digit old CMND with lookup, and by the ĐDCN that replaced it', async () => {
    const db = await verified();
    const hung = { ma_so_bhxh: '0100000001', ho_ten: 'Nguyễn Văn Hùng', so_ddcn: '001090000001', former_numbers: ['025123456789'] };
    expect(await lookupNumber(db, '025123456789')).toEqual([hung]);
    expect(await lookupNumber(db, '001090000001')).toEqual([hung]);
    expect(await lookupNumber(db, '031987654321')).toEqual([
      { ma_so_bhxh: '0100000003', ho_ten: 'Lê Văn Ba', so_ddcn: '001071000003', former_numbers: ['031987654321'] },
    ]);
    expect(await lookupNumber(db, '023456781')).toEqual([
      { ma_so_bhxh: '0100000002', ho_ten: 'Trần Thị Lan', so_ddcn: '079185000002', former_numbers: ['023456781'] },
    ]);
    expect(await lookupNumber(db, '001192000004')).toEqual([
      { ma_so_bhxh: '0100000004', ho_ten: 'Phạm Thị Bốn', so_ddcn: '001192000004', former_numbers: [] },
    ]);
    expect(await lookupNumber(db, '025123456788')).toEqual([]);
  });
});
