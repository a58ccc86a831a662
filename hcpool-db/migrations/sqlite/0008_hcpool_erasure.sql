-- Account deletions; see mysql/0008.
CREATE TABLE IF NOT EXISTS hcpool_erasures (
  UserId INTEGER NOT NULL PRIMARY KEY,
  requested INTEGER NOT NULL,
  erased INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS hcpool_erasures_pending ON hcpool_erasures (erased);
