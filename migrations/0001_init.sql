-- ddcn schema, first version. Plan 2207/KH-BHXH: participants, their managing units, every verification
-- outcome (kept as history), former numbers, batches and their chunks, and what was shared back (I.4).

-- Managing unit (đơn vị quản lý): employer, school, service organisation.
CREATE TABLE unit (
  ma_don_vi   text PRIMARY KEY,
  ten_don_vi  text NOT NULL DEFAULT '',
  dia_chi     text NOT NULL DEFAULT '',
  ma_tinh     text,
  ma_huyen    text,
  updated_at  timestamptz NOT NULL
);

-- Participant (người tham gia). Identity fields are stored normalised; `so_giay_to` is the number on file,
-- replaced by the ĐDCN once the registry confirms the person (the old number moves to number_history).
CREATE TABLE participant (
  ma_so_bhxh       text PRIMARY KEY CHECK (ma_so_bhxh ~ '^[0-9]{10}$'),
  ho_ten           text NOT NULL DEFAULT '',
  ngay_sinh        text CHECK (ngay_sinh ~ '^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$'), -- yyyy | yyyy-mm | yyyy-mm-dd
  gioi_tinh        text CHECK (gioi_tinh IN ('M', 'F')),
  so_giay_to       text CHECK (so_giay_to ~ '^([0-9]{9}|[0-9]{12})$'),
  ma_don_vi        text,
  ma_tinh          text,
  ma_huyen         text,
  vssid            boolean NOT NULL DEFAULT false,
  email            text,
  findings         jsonb NOT NULL DEFAULT '[]', -- data-quality findings from import: [{field, code, value}]
  data_version     integer NOT NULL DEFAULT 1,  -- bumped when name, date of birth, sex or number change
  -- current outcome; the full history is in `verification`
  status           text NOT NULL DEFAULT 'PENDING'
                   CHECK (status IN ('MATCHED', 'MISMATCHED', 'MISSING_ID', 'CONFLICT', 'PENDING')),
  status_fields    text[] NOT NULL DEFAULT '{}',
  so_ddcn          text CHECK (so_ddcn ~ '^[0-9]{12}$'), -- confirmed personal number, when MATCHED
  verified_version integer,                              -- data_version the status was decided on
  verified_at      timestamptz,
  last_batch_id    bigint,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL
) WITH (fillfactor = 80);

-- Few indexes on purpose: every verified person is updated once per batch, and each index costs on every update.
-- (Who needs verifying is found by a scan in code order; a partial index on it would also defeat HOT updates.)
CREATE INDEX participant_so_giay_to ON participant (so_giay_to);
CREATE INDEX participant_unit ON participant (ma_tinh, ma_don_vi);

-- Former numbers: the CMND replaced by an ĐDCN stays searchable (Plan I.3).
-- The tables written for every verified person carry no foreign keys: their rows are only ever made from
-- participant and batch rows in the same statement, and a per-row referential check doubled the cost of a chunk.
CREATE TABLE number_history (
  ma_so_bhxh  text NOT NULL,
  so_cu       text NOT NULL, -- the number that was on file
  so_moi      text,          -- what replaced it
  source      text NOT NULL CHECK (source IN ('registry', 'correction', 'import')),
  batch_id    bigint,
  changed_at  timestamptz NOT NULL,
  PRIMARY KEY (ma_so_bhxh, so_cu)
);
CREATE INDEX number_history_so_cu ON number_history (so_cu);

CREATE TABLE import_run (
  id           bigserial PRIMARY KEY,
  kind         text NOT NULL,
  file_name    text NOT NULL,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz,
  rows_read    integer NOT NULL DEFAULT 0,
  inserted     integer NOT NULL DEFAULT 0,
  updated      integer NOT NULL DEFAULT 0,
  unchanged    integer NOT NULL DEFAULT 0,
  rejected     integer NOT NULL DEFAULT 0
);

-- One `ddcn run`. Phases: verify (each chunk verified and applied in one transaction) → share → done.
CREATE TABLE batch (
  id           bigserial PRIMARY KEY,
  registry     text NOT NULL,
  province     text,
  chunk_size   integer NOT NULL,
  phase        text NOT NULL CHECK (phase IN ('verify', 'share', 'done')),
  chunks       integer NOT NULL,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz,
  attempts     integer NOT NULL DEFAULT 1,
  shared       integer NOT NULL DEFAULT 0
);

-- A chunk is a fixed range of participant codes, so a resumed run sees the same chunks. verified_at: the chunk's
-- outcomes are stored and applied (one transaction). The counts are those of its own people at that moment.
CREATE TABLE batch_chunk (
  batch_id     bigint NOT NULL REFERENCES batch,
  chunk_no     integer NOT NULL,
  key_from     text NOT NULL,
  key_to       text NOT NULL,
  verified_at  timestamptz,
  n_read       integer NOT NULL DEFAULT 0,
  n_matched    integer NOT NULL DEFAULT 0,
  n_mismatched integer NOT NULL DEFAULT 0,
  n_missing    integer NOT NULL DEFAULT 0,
  n_conflict   integer NOT NULL DEFAULT 0,
  n_pending    integer NOT NULL DEFAULT 0,
  n_errors     integer NOT NULL DEFAULT 0,
  PRIMARY KEY (batch_id, chunk_no)
);

-- Every verification outcome, with its field diffs and time; reports read it "as of" a date.
CREATE TABLE verification (
  batch_id     bigint NOT NULL,
  ma_so_bhxh   text NOT NULL,
  chunk_no     integer NOT NULL,
  data_version integer NOT NULL,
  status       text NOT NULL CHECK (status IN ('MATCHED', 'MISMATCHED', 'MISSING_ID', 'CONFLICT', 'PENDING')),
  fields       text[] NOT NULL DEFAULT '{}',
  so_ddcn      text,  -- the personal number the registry returned (also kept for a CONFLICT)
  detail       jsonb, -- registry's disclosed values, pre-flight findings, conflict partners, error kind
  verified_at  timestamptz NOT NULL,
  PRIMARY KEY (batch_id, ma_so_bhxh)
);
-- No secondary indexes: a chunk's rows are a range of the primary key, and a person's latest outcome is reached
-- through participant.last_batch_id.

-- Plan I.4: insurance information shared back to the registry, once per person and number.
CREATE TABLE share_record (
  ma_so_bhxh  text NOT NULL,
  so_ddcn     text NOT NULL,
  batch_id    bigint NOT NULL,
  shared_at   timestamptz NOT NULL,
  PRIMARY KEY (ma_so_bhxh, so_ddcn)
);
