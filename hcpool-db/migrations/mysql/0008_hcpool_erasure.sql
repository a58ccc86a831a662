-- Account deletions (issue 16 row 6): one row per deleted account. The Users row itself is
-- cleared of personal data at once (hcpool-core's ErasureStore::erase_account) but keeps
-- its voting columns while the user's tickets may vote, because stakepoold (hcpool's and
-- hcstakepool's) reads them from Users; `erased` is 0 while that is pending and the time the
-- rest was blanked afterwards. The row stays as a record that the id was deleted (no
-- personal data in it). A new table only: hcstakepool never reads it.
create table if not exists `hcpool_erasures` (
  `UserId` bigint not null primary key,
  `requested` bigint not null,
  `erased` bigint not null default 0,
  key `hcpool_erasures_pending` (`erased`)
) engine=InnoDB charset=UTF8MB4;
