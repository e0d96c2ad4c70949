-- The portal reads one managing unit's people (its page, its counts in the unit list, its downloads) by ma_don_vi
-- alone; participant_unit starts with ma_tinh. The run never changes ma_don_vi, so this index does not stop its
-- updates from being HOT.
CREATE INDEX participant_ma_don_vi ON participant (ma_don_vi);
