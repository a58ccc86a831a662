-- The mail outbox; see mysql/0004.
CREATE TABLE IF NOT EXISTS hcpool_mail_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  ip TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt INTEGER NOT NULL,
  created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS hcpool_mail_outbox_due ON hcpool_mail_outbox (next_attempt);
