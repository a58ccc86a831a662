-- Vote notifications; see mysql/0007.
CREATE TABLE IF NOT EXISTS hcpool_notify_prefs (
  user_id INTEGER NOT NULL PRIMARY KEY,
  on_vote INTEGER NOT NULL,
  on_miss INTEGER NOT NULL,
  on_revoke INTEGER NOT NULL,
  mode TEXT NOT NULL,
  lang TEXT NOT NULL,
  baseline_height INTEGER NOT NULL,
  last_digest_day INTEGER NOT NULL,
  updated INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS hcpool_notify_events (
  ticket_hash TEXT NOT NULL,
  event TEXT NOT NULL,
  user_id INTEGER NOT NULL,
  height INTEGER NOT NULL,
  created INTEGER NOT NULL,
  pending INTEGER NOT NULL,
  PRIMARY KEY (ticket_hash, event)
);
CREATE INDEX IF NOT EXISTS hcpool_notify_events_user ON hcpool_notify_events (user_id, height);
CREATE INDEX IF NOT EXISTS hcpool_notify_events_pending ON hcpool_notify_events (pending, created);
