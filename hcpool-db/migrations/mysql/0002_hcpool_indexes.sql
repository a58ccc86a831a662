-- The indexes hcstakepool never had (inventory §13, performance 5), one per lookup hcpool
-- makes. Prefix length 191 keeps each key under 767 bytes in utf8mb4, so this also works on
-- old InnoDB row formats. Email stays non-unique: legacy data may hold duplicates; hcpool
-- checks "email taken" inside create_user's transaction instead.
create index `hcpool_users_email` on `Users` (`Email`(191));
create index `hcpool_users_email_token` on `Users` (`EmailToken`(191));
create index `hcpool_users_api_token` on `Users` (`APIToken`(191));
create index `hcpool_users_multisig` on `Users` (`MultiSigAddress`(191));
create index `hcpool_email_change_token` on `EmailChange` (`Token`(191));
create index `hcpool_email_change_user` on `EmailChange` (`UserId`);
create index `hcpool_password_reset_token` on `PasswordReset` (`Token`(191));
create index `hcpool_password_reset_user` on `PasswordReset` (`UserId`);
create index `hcpool_low_fee_ticket_hash` on `LowFeeTicket` (`TicketHash`(191));
