-- The nightly re-import of an unchanged export should cost little more than reading it. Each participant keeps a
-- hash of the source line it was last imported from (with the file's header); a line whose hash is the stored one
-- is skipped before any validation or write. NULL (rows from before this migration, or changed by a correction)
-- means "compare in full", which then stores the hash.
ALTER TABLE participant ADD COLUMN src_hash text;
