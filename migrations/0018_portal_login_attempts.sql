-- Sign-in attempts per client address and minute (src/db/portal-login-attempts.ts). Counted here rather than in
-- the `ddcn serve` process, so that the limit holds across restarts and for several processes behind one proxy.
-- Unlogged: a crash that empties it forgives at most a minute of attempts (the per-account lock-out is kept in
-- portal_user).
CREATE UNLOGGED TABLE portal_login_attempt (
  ip            text NOT NULL,
  minute        timestamptz NOT NULL,   -- the start of the minute the attempts fell in
  attempts      integer NOT NULL,
  PRIMARY KEY (ip, minute)
);
