-- The same lookups as mysql/0002. Email is not unique (see the MySQL tree for why).
CREATE INDEX hcpool_users_email ON Users (Email COLLATE NOCASE);
CREATE INDEX hcpool_users_email_token ON Users (EmailToken);
CREATE INDEX hcpool_users_api_token ON Users (APIToken);
CREATE INDEX hcpool_users_multisig ON Users (MultiSigAddress);
CREATE INDEX hcpool_email_change_token ON EmailChange (Token);
CREATE INDEX hcpool_email_change_user ON EmailChange (UserId);
CREATE INDEX hcpool_password_reset_token ON PasswordReset (Token);
CREATE INDEX hcpool_password_reset_user ON PasswordReset (UserId);
CREATE INDEX hcpool_low_fee_ticket_hash ON LowFeeTicket (TicketHash);
