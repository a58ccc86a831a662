-- Server-side web sessions; see mysql/0003.
CREATE TABLE IF NOT EXISTS hcpool_sessions (
  id_hash TEXT NOT NULL PRIMARY KEY,
  user_id INTEGER NOT NULL,
  csrf_token TEXT NOT NULL,
  created INTEGER NOT NULL,
  expires INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
);
CREATE INDEX hcpool_sessions_user ON hcpool_sessions (user_id);
CREATE INDEX hcpool_sessions_expires ON hcpool_sessions (expires);
