-- The pool's history for the charts; see mysql/0006.
CREATE TABLE IF NOT EXISTS hcpool_history (
  height INTEGER NOT NULL PRIMARY KEY,
  sampled_at INTEGER NOT NULL,
  live INTEGER NOT NULL,
  voted INTEGER NOT NULL,
  missed INTEGER NOT NULL,
  network_live INTEGER NOT NULL,
  ticket_price REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS hcpool_history_sampled_at ON hcpool_history (sampled_at);
