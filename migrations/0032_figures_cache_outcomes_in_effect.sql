-- Mẫu 03 now counts an outcome from when its chunk was written, not from when the registry answered (an outcome
-- stored but not written, or a claim not yet settled as a conflict, counted as verified before). Figures kept as
-- of a settled moment carry no rule of their own: those worked out under the old one would be shown for a week
-- more. Emptied: the dashboards work them out again on their next visit.
DELETE FROM figures_cache;
