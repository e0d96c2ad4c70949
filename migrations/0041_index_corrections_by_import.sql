-- The corrections of one import (a file of `ddcn import corrections`, a portal upload, one person's form) are looked
-- up by that import: the portal tags an upload's and a form's rows with their source and author by it, and an
-- upload's result page counts its corrected values by it. With no index each of those read the whole table, which
-- keeps every correction ever received (the national figure grows by the returned Mẫu 02 of every night).
CREATE INDEX participant_correction_import ON participant_correction (import_id);
