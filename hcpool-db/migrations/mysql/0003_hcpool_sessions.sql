-- Server-side web sessions (hcstakepool kept sessions in signed cookies, which could not be
-- revoked). The cookie value itself is never stored: id_hash is its SHA-256, in hex.
create table if not exists `hcpool_sessions` (
  `id_hash` varchar(64) not null primary key,
  `user_id` bigint not null,
  `csrf_token` varchar(255) not null,
  `created` bigint not null,
  `expires` bigint not null,
  `last_seen` bigint not null,
  key `hcpool_sessions_user` (`user_id`),
  key `hcpool_sessions_expires` (`expires`)
) engine=InnoDB charset=UTF8MB4;
