-- One row per email in use, the email being the key (see mysql/0005). Legacy duplicates:
-- the lowest UserId keeps the claim.
CREATE TABLE IF NOT EXISTS hcpool_emails (
  Email TEXT NOT NULL COLLATE NOCASE PRIMARY KEY,
  UserId INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS hcpool_emails_user ON hcpool_emails (UserId);
INSERT OR IGNORE INTO hcpool_emails (Email, UserId)
  SELECT Email, MIN(UserId) FROM Users
  WHERE Email IS NOT NULL AND Email <> '' GROUP BY Email;
