-- The registry file exchange (`ddcn run --registry file`): which request files were written to the outbox, who was
-- in each and for which data, and the answers ingested from the inbox. People of an outstanding request are not
-- sent again; an answer applies only while the person's data is what was sent (the fingerprint).

CREATE TABLE exchange_request (
  id            bigserial PRIMARY KEY,
  file_name     text NOT NULL UNIQUE,          -- in the outbox
  checksum      text NOT NULL,                 -- sha256 of the request file, as in its trailer
  people        integer NOT NULL,
  state         text NOT NULL CHECK (state IN ('outstanding', 'answered')),
  created_at    timestamptz NOT NULL,
  answered_at   timestamptz,
  answer_file   text,                          -- the inbox file that answered it
  answer_checksum text
);

CREATE TABLE exchange_item (
  request_id   bigint NOT NULL REFERENCES exchange_request,
  ma_so_bhxh   text NOT NULL,                  -- our request id
  fingerprint  text NOT NULL,                  -- sha256 of the data sent (number, name, date of birth, sex)
  -- the registry's answer, once ingested
  matched      boolean,
  so_ddcn      text,
  fields       text[],
  registry     jsonb,                          -- values the registry disclosed for differing fields
  PRIMARY KEY (request_id, ma_so_bhxh)
);
CREATE INDEX exchange_item_person ON exchange_item (ma_so_bhxh, request_id DESC);
