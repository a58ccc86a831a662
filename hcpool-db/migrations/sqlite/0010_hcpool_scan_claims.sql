-- Vote notification scan claims; see mysql/0010.
CREATE TABLE IF NOT EXISTS hcpool_notify_scans (
  height INTEGER NOT NULL PRIMARY KEY,
  owner TEXT NOT NULL,
  claimed INTEGER NOT NULL
);
