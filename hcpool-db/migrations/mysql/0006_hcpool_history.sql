-- The pool's history for the charts of the stats page (issue 16): one row of the wallets'
-- stake info per block, keyed by height so that several instances record a block once, and
-- thinned with age (hcpool_core::history::Retention). A new table only: hcstakepool never
-- reads it.
create table if not exists `hcpool_history` (
  `height` bigint not null primary key,
  `sampled_at` bigint not null,
  `live` bigint not null,
  `voted` bigint not null,
  `missed` bigint not null,
  `network_live` bigint not null,
  `ticket_price` double not null,
  key `hcpool_history_sampled_at` (`sampled_at`)
) engine=InnoDB charset=UTF8MB4;
