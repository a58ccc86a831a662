-- hcstakepool's tables with the same names, columns and meanings as on MySQL
-- (hcstakepool-inventory.md §7). AUTOINCREMENT: a user id is a key-derivation index and must
-- never be reused. Email compares case-insensitively, as under MySQL's default collation.
CREATE TABLE IF NOT EXISTS EmailChange (
  EmailChangeID INTEGER PRIMARY KEY AUTOINCREMENT,
  UserId INTEGER,
  NewEmail TEXT COLLATE NOCASE,
  Token TEXT,
  Created INTEGER,
  Expires INTEGER
);

CREATE TABLE IF NOT EXISTS LowFeeTicket (
  LowFeeTicketID INTEGER PRIMARY KEY AUTOINCREMENT,
  AddedByUid INTEGER,
  TicketAddress TEXT,
  TicketHash TEXT,
  TicketExpiry INTEGER,
  Voted INTEGER,
  Created INTEGER,
  Expires INTEGER
);

CREATE TABLE IF NOT EXISTS PasswordReset (
  PasswordResetID INTEGER PRIMARY KEY AUTOINCREMENT,
  UserId INTEGER,
  Token TEXT,
  Created INTEGER,
  Expires INTEGER
);

CREATE TABLE IF NOT EXISTS Users (
  UserId INTEGER PRIMARY KEY AUTOINCREMENT,
  Email TEXT COLLATE NOCASE,
  Username TEXT,
  Password BLOB,
  MultiSigAddress TEXT,
  MultiSigScript TEXT,
  PoolPubKeyAddr TEXT,
  UserPubKeyAddr TEXT,
  UserFeeAddr TEXT,
  HeightRegistered INTEGER,
  EmailVerified INTEGER,
  EmailToken TEXT,
  APIToken TEXT,
  VoteBits INTEGER,
  VoteBitsVersion INTEGER
);
