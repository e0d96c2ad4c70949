-- Mẫu 03 figures already worked out, for the portal's dashboards. A figure as of a moment that has passed never
-- changes (every history row carries the time it was written), so it is kept as it is; the figures as of now are
-- kept with a fingerprint of the history (its newest rows) and worked out again once it moves. Unlogged: it is
-- only a copy, and a crash that empties it costs one slow dashboard.
CREATE UNLOGGED TABLE figures_cache (
  cutoff       timestamptz NOT NULL,
  narrow       text NOT NULL,        -- the scope the counts were cut to: 'p=…;d=…;u=…'
  fingerprint  text NOT NULL,        -- 'past', or the history's fingerprint when it was worked out
  counts       jsonb NOT NULL,       -- countsAsOf's rows
  computed_at  timestamptz NOT NULL,
  PRIMARY KEY (cutoff, narrow)
);
