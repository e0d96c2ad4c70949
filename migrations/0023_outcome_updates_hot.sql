-- A batch's write step sets every verified person's outcome (status, status_fields, so_ddcn, verified_*), and
-- only the MATCHED people whose number on file was not yet the ĐDCN get a new so_giay_to. Since 0020 the outcome
-- was in an index (participant_unit_counts INCLUDE status), so no update of a participant could be HOT: each wrote
-- a new row version elsewhere and an entry in all three indexes. Without the outcome in any index, an update that
-- leaves the number as it was stays on its page (fillfactor 50, migration 0007) and touches no index. Measured at
-- 1 M (npm run bench, 46 % of the people keep their number): the write step's statements 21.3 → 16.7 s, the run
-- 28.2–29.2 → 24.9–26.9 s, the fresh import ~1 s less (a plain index to build). With the national data, where
-- most people already carry their CCCD, nearly every update is of this kind. The portal's unit counts read the
-- outcome from the rows again (scripts/bench-portal.ts, 1 M, 20 users: a unit list page p50 31–36 → 44–65 ms,
-- p95 53–57 → 73–114 ms, against its 200 ms target).
-- Do not add status or any other column a batch writes (status_fields, so_ddcn, verified_version, verified_at,
-- last_batch_id) to an index of participant: test/integration/write-hot.test.ts fails.
CREATE INDEX participant_ma_don_vi ON participant (ma_don_vi);
DROP INDEX participant_unit_counts;
