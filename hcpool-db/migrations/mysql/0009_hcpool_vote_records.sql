-- Signed vote records (issue 16 row 8, docs/adr/0009-vote-records.md): one row per voted
-- ticket, written by the first web instance that made the ticket's record (insert-if-absent,
-- keyed by the ticket, so instances behind a proxy agree on it) and replaced only when a reorg
-- moved the vote (conditional on the stored block). Records are signed when served; the row
-- keeps `requested_votebits` as the user's choice when it was first written. A user's rows
-- are deleted with the account. A new table only: hcstakepool never reads it.
create table if not exists `hcpool_vote_records` (
  `ticket_hash` varchar(64) not null primary key,
  `user_id` bigint not null,
  `vote_tx` varchar(64) not null,
  `block_hash` varchar(64) not null,
  `block_height` bigint not null,
  `votebits` int not null,
  `vote_version` bigint not null,
  `requested_votebits` int not null,
  `created` bigint not null,
  key `hcpool_vote_records_user` (`user_id`, `block_height`)
) engine=InnoDB charset=UTF8MB4;
