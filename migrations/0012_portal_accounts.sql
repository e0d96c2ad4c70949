-- The portal (`ddcn serve`): accounts of the offices and units, their sessions, and the audit trail.

-- An account sees one scope: national; a province (ma_tinh); a district (ma_tinh + ma_huyen); a unit (ma_don_vi).
CREATE TABLE portal_user (
  login            text PRIMARY KEY CHECK (login ~ '^[a-z0-9._-]{2,64}$'),
  role             text NOT NULL CHECK (role IN ('national', 'province', 'district', 'unit')),
  ma_tinh          text,
  ma_huyen         text,
  ma_don_vi        text,
  password_hash    text NOT NULL, -- argon2id, PHC string
  disabled         boolean NOT NULL DEFAULT false,
  failed_logins    integer NOT NULL DEFAULT 0, -- failures in a row; reset by a success
  locked_until     timestamptz,
  created_at       timestamptz NOT NULL,
  password_changed_at timestamptz NOT NULL,
  CHECK (CASE role
           WHEN 'national' THEN ma_tinh IS NULL AND ma_huyen IS NULL AND ma_don_vi IS NULL
           WHEN 'province' THEN ma_tinh IS NOT NULL AND ma_huyen IS NULL AND ma_don_vi IS NULL
           WHEN 'district' THEN ma_tinh IS NOT NULL AND ma_huyen IS NOT NULL AND ma_don_vi IS NULL
           ELSE ma_don_vi IS NOT NULL AND ma_tinh IS NULL AND ma_huyen IS NULL END)
);

-- A session lives here, not in the cookie: disabling an account or resetting its password deletes its rows, and
-- the next request of that browser is signed out. The cookie carries a random token; only its SHA-256 is stored.
CREATE TABLE portal_session (
  token_sha256  bytea PRIMARY KEY,
  login         text NOT NULL REFERENCES portal_user ON DELETE CASCADE,
  created_at    timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  ip            text
);
CREATE INDEX portal_session_login ON portal_session (login);

-- Who did what, when, from where. Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE, so neither the
-- application nor a mistaken script can rewrite the trail. `object` names codes (a unit, a file), never personal data.
CREATE TABLE audit_log (
  id      bigserial PRIMARY KEY,
  at      timestamptz NOT NULL,
  login   text, -- as typed at sign-in; null for a `users` command run by the operator
  action  text NOT NULL CHECK (action IN ('login', 'logout', 'download', 'upload', 'correct', 'lookup', 'users')),
  object  text NOT NULL DEFAULT '',
  result  text NOT NULL,
  ip      text
);
CREATE INDEX audit_log_at ON audit_log (at, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Corrections typed into the portal's form go to the same history as a returned Mẫu 02; these say where a
-- correction came from and who made it (file imports by the operator leave them as they are).
ALTER TABLE participant_correction ADD COLUMN source text NOT NULL DEFAULT 'file' CHECK (source IN ('file', 'upload', 'web'));
ALTER TABLE participant_correction ADD COLUMN changed_by text;

-- A returned Mẫu 02 uploaded through the portal: its result page and its rejects file, to download later.
CREATE TABLE portal_upload (
  id           bigserial PRIMARY KEY,
  import_id    bigint NOT NULL REFERENCES import_run,
  login        text NOT NULL,
  ma_don_vi    text NOT NULL,
  at           timestamptz NOT NULL,
  file_name    text NOT NULL,
  rows_read    integer NOT NULL,
  corrected    integer NOT NULL,
  unchanged    integer NOT NULL,
  empty        integer NOT NULL,
  rejected     integer NOT NULL,
  rejects_csv  bytea NOT NULL
);
CREATE INDEX portal_upload_unit ON portal_upload (ma_don_vi, id);
