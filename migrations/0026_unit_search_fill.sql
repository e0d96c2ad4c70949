-- The folded names of the units on file (migration 0025 adds the column and the trigger that keeps it for every
-- unit written from then on). In a transaction of its own, after 0025's: this UPDATE takes row locks only, so the
-- portal's pages and the imports' readers go on while it runs (~400 000 units in a few seconds).
UPDATE unit SET ten_don_vi_fold = search_fold(ten_don_vi) WHERE ten_don_vi_fold IS NULL;
