-- The number each verification was made for (the number on file when the person was exported, as sent to the
-- registry; NULL for MISSING_ID and for conflict parties decided without an export). It belongs in the audit
-- trail in its own right, and it lets a chunk be applied with one join of participant instead of two: while
-- the person's data_version is still the exported one, the number on file is still this one.
ALTER TABLE verification ADD COLUMN so_giay_to text;
