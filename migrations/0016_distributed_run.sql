-- The distributed run (issue 12). A batch's chunks are jobs on pg-boss (its own schema, `pgboss`, installed and
-- upgraded by pg-boss itself); any worker on any machine may take any chunk, in any order. Each chunk goes through
-- three steps, each one transaction, each recorded here so that a step done twice (a worker presumed dead that was
-- only slow) changes nothing the second time:
--   verify: its outcomes stored in `verification` (verified_at);
--   write:  the ĐDCN written in place of the old number, the old one into number_history (written_at);
--   share:  matched people's insurance information shared back, recorded when acknowledged (shared_at).
-- Between verify and write, once every chunk is verified, one statement settles the conflicts over the whole
-- batch's claims: the phase goes verify → write → share → done.
ALTER TABLE batch DROP CONSTRAINT batch_phase_check;
ALTER TABLE batch ADD CONSTRAINT batch_phase_check CHECK (phase IN ('verify', 'write', 'share', 'done'));

-- Steps done so far, counted in the step's own transaction: the chunk that brings a count to `chunks` starts the
-- next phase, in that same transaction (two chunks finishing together queue on this row, so exactly one does).
ALTER TABLE batch
  ADD COLUMN chunks_verified integer NOT NULL DEFAULT 0,
  ADD COLUMN chunks_written  integer NOT NULL DEFAULT 0,
  ADD COLUMN chunks_shared   integer NOT NULL DEFAULT 0,
  -- People to verify when the batch was cut into chunks: the total of `ddcn run`'s progress line.
  ADD COLUMN people          integer NOT NULL DEFAULT 0,
  -- Registry requests in flight across every process working on the batch (--registry-max-in-flight); NULL: no cap.
  ADD COLUMN max_in_flight   integer CHECK (max_in_flight > 0),
  -- Set when the registry answered 429: no worker sends before this moment.
  ADD COLUMN registry_backoff_until timestamptz;

-- Who did each step and when: `ddcn batch status` shows the workers seen. (An audit, not a lease: the job engine
-- decides who works on what.)
ALTER TABLE batch_chunk
  ADD COLUMN verified_by    text,
  ADD COLUMN written_at     timestamptz,
  ADD COLUMN written_by     text,
  ADD COLUMN shared_at      timestamptz,
  ADD COLUMN shared_by      text,
  ADD COLUMN n_shared       integer NOT NULL DEFAULT 0,
  ADD COLUMN n_share_failed integer NOT NULL DEFAULT 0;

-- Batches left unfinished by the run before this one: their verified chunks were written in the same transaction.
UPDATE batch_chunk c SET written_at = c.verified_at
  FROM batch b WHERE b.id = c.batch_id AND c.verified_at IS NOT NULL;
UPDATE batch b SET
  chunks_verified = (SELECT count(*) FROM batch_chunk c WHERE c.batch_id = b.id AND c.verified_at IS NOT NULL),
  chunks_written  = (SELECT count(*) FROM batch_chunk c WHERE c.batch_id = b.id AND c.written_at IS NOT NULL),
  chunks_shared   = CASE WHEN b.phase = 'done' THEN b.chunks ELSE 0 END;
UPDATE batch_chunk c SET shared_at = b.finished_at FROM batch b WHERE b.id = c.batch_id AND b.phase = 'done';
