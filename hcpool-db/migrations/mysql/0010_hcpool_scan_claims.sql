-- Vote notification scans (issue 16 row 5): one row per block height whose scan an instance
-- claimed, so that of several instances on one database only the one whose insert wins asks
-- the wallets about every subscriber's tickets for that block (the mail itself is decided by
-- hcpool_notify_events, not here). `owner` is the claiming instance's id (it may scan the
-- height again after a failure); rows far from the chain tip are deleted by the next claim.
-- A new table only: hcstakepool never reads it.
create table if not exists `hcpool_notify_scans` (
  `height` bigint not null primary key,
  `owner` varchar(64) not null,
  `claimed` bigint not null
) engine=InnoDB charset=UTF8MB4;
