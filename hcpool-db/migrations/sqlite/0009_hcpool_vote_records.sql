-- Signed vote records; see mysql/0009.
CREATE TABLE IF NOT EXISTS hcpool_vote_records (
  ticket_hash TEXT NOT NULL PRIMARY KEY,
  user_id INTEGER NOT NULL,
  vote_tx TEXT NOT NULL,
  block_hash TEXT NOT NULL,
  block_height INTEGER NOT NULL,
  votebits INTEGER NOT NULL,
  vote_version INTEGER NOT NULL,
  requested_votebits INTEGER NOT NULL,
  created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS hcpool_vote_records_user ON hcpool_vote_records (user_id, block_height);
