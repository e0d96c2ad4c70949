// The times a batch stores (verification.verified_at) come from the clock of the machine that did the chunk step,
// and the machines of a distributed run may disagree (a host two hours fast, one set to local time as if it were
// UTC). Mẫu 03 takes a person's last outcome by batch, not by those times: batches follow one another (one is open
// at a time), whatever the clocks of the machines that worked on them said.
import { describe, expect, it } from 'vitest';
import { countsAsOf } from '../../src/db/reports.js';
import { importParticipants } from '../../src/pipeline/import-participants.js';
import { runBatch } from '../../src/pipeline/run.js';
import { databasePerFile, deps, FIXED_NOW, mockRegistry, runDeps, useTempDir, writeParticipants, writeRegistry, type ParticipantInput } from '../helpers/pipeline.js';

const database = databasePerFile();

const UNIT = { ma_don_vi: 'DV0790001', ten_don_vi: 'Công ty Sao Mai', ma_tinh: '079', ma_huyen: '760' };
const LAN: ParticipantInput = { ma_so_bhxh: '0790000001', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ', so_giay_to: '023456781', ...UNIT };
const REGISTRY = [{ so_ddcn: '079185000001', so_cmnd: '023456781', ho_ten: 'Trần Thị Lan', ngay_sinh: '12/03/1985', gioi_tinh: 'Nữ' }];
const CONFIG = { chunkSize: 10, batchSize: 10, concurrency: 1 };
const HOUR = 3_600_000;

describe('Mẫu 03 with machines whose clocks disagree', () => {
  it("counts a person's outcome of the later batch, though a fast clock stamped the earlier one later", async () => {
    const { db } = database();
    const dir = await useTempDir();
    const registry = await mockRegistry(await writeRegistry(dir, REGISTRY));
    const at = (ms: number) => () => new Date(FIXED_NOW.getTime() + ms);

    // The unit's file misspells her name; the night's batch is done by a host whose clock is two hours fast.
    await importParticipants(deps(db), await writeParticipants(dir, [{ ...LAN, ho_ten: 'Trần Thị Lam' }], 'first.csv'));
    await runBatch({ ...runDeps(db, registry, CONFIG), now: at(2 * HOUR) }, { province: null });
    // The name corrected and verified again a few minutes later, by a host whose clock is right.
    await importParticipants({ ...deps(db), now: at(5 * 60_000) }, await writeParticipants(dir, [LAN], 'second.csv'));
    await runBatch({ ...runDeps(db, registry, CONFIG), now: at(10 * 60_000) }, { province: null });

    const status = await db.query<{ status: string }>('SELECT status FROM participant');
    expect(status.rows).toEqual([{ status: 'MATCHED' }]);
    const [row] = await countsAsOf(db, { cutoff: new Date(FIXED_NOW.getTime() + 3 * HOUR), province: null });
    expect({ matched: row!.matched, mismatched: row!.mismatched, pending: row!.pending }).toEqual({ matched: 1, mismatched: 0, pending: 0 });
  });
});
