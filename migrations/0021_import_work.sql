-- The import's work tables that the server may read in parallel: a temporary table is read by its own session's
-- process only, and marking an unchanged re-import's keys (a hash anti-join of the file's keys with participant,
-- src/db/participants.ts markFileKeys) took ~1.5 s at 1 M rows on one core against ~1.0 s on two. Each import makes
-- an unlogged table here named after its server process (file_key_<pid>) and drops it when done; one left by an
-- import that died is dropped by the next import once no server process has that pid.
CREATE SCHEMA import_work;
