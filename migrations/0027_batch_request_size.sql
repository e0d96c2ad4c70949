-- The people per registry request (--batch-size), stored with the batch like its chunk size and its registry cap
-- (0016, 0019): every `ddcn worker` that helps sends requests of the size the operator chose for the batch, not
-- its own default. NULL for the batches of an older ddcn: each process then uses its own, as before.
ALTER TABLE batch ADD COLUMN batch_size integer CHECK (batch_size > 0);
