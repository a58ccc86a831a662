-- Vote notifications (issue 16 row 5): each user's choice (off until they save one; the
-- original's Users table is not touched), and every ticket event once, keyed by (ticket,
-- event) so that of several instances only the one whose insert wins stores the mail in the
-- outbox (same transaction). `pending` events wait for the user's daily digest, which one
-- instance claims by moving `last_digest_day`. New tables only: hcstakepool never reads them.
create table if not exists `hcpool_notify_prefs` (
  `user_id` bigint not null primary key,
  `on_vote` int not null,
  `on_miss` int not null,
  `on_revoke` int not null,
  `mode` varchar(16) not null,
  `lang` varchar(35) not null,
  `baseline_height` bigint not null,
  `last_digest_day` bigint not null,
  `updated` bigint not null
) engine=InnoDB charset=UTF8MB4;
create table if not exists `hcpool_notify_events` (
  `ticket_hash` varchar(64) not null,
  `event` varchar(16) not null,
  `user_id` bigint not null,
  `height` bigint not null,
  `created` bigint not null,
  `pending` int not null,
  primary key (`ticket_hash`, `event`),
  key `hcpool_notify_events_user` (`user_id`, `height`),
  key `hcpool_notify_events_pending` (`pending`, `created`)
) engine=InnoDB charset=UTF8MB4;
