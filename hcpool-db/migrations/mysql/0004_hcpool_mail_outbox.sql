-- The mail outbox (issue 12 item 8): a request stores the mail (or the job that renders it)
-- and answers; any hcpool-web instance claims due rows with a lease (next_attempt moves past
-- the lease), sends, and deletes the row. A new table only: hcstakepool never reads it.
create table if not exists `hcpool_mail_outbox` (
  `id` bigint not null auto_increment primary key,
  `kind` varchar(32) not null,
  `recipient` varchar(255) not null,
  `subject` varchar(255) not null,
  `body` varchar(8192) not null,
  `ip` varchar(64) not null,
  `attempts` int not null,
  `next_attempt` bigint not null,
  `created` bigint not null,
  key `hcpool_mail_outbox_due` (`next_attempt`)
) engine=InnoDB charset=UTF8MB4;
