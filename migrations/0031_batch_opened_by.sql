-- Which process opened (or last resumed) a batch: its connections' application_name (`ddcn-run host:pid`). A run
-- that finds the batch open while that process is still connected joins it; one that finds its opener gone resumes
-- it. Told before by chunk jobs in hand only, so a second run started a moment after the first (its chunks queued,
-- none taken yet) said it resumed a batch whose run had died, and counted an attempt that never failed.
ALTER TABLE batch ADD COLUMN opened_by text;
