-- hcstakepool's tables, exactly as its gorp layer creates them (hcstakepool-inventory.md §7):
-- only primary keys are NOT NULL; no defaults, secondary indexes or unique constraints.
-- IF NOT EXISTS: an existing hcstakepool database already has them (possibly in an older
-- shape, which the legacy upgrade step in src/migrate.rs brings up to date before this runs).
create table if not exists `EmailChange` (
  `EmailChangeID` bigint not null primary key auto_increment,
  `UserId` bigint,
  `NewEmail` varchar(255),
  `Token` varchar(255),
  `Created` bigint,
  `Expires` bigint
) engine=InnoDB charset=UTF8MB4;

create table if not exists `LowFeeTicket` (
  `LowFeeTicketID` bigint not null primary key auto_increment,
  `AddedByUid` bigint,
  `TicketAddress` varchar(255),
  `TicketHash` varchar(255),
  `TicketExpiry` bigint,
  `Voted` bigint,
  `Created` bigint,
  `Expires` bigint
) engine=InnoDB charset=UTF8MB4;

create table if not exists `PasswordReset` (
  `PasswordResetID` bigint not null primary key auto_increment,
  `UserId` bigint,
  `Token` varchar(255),
  `Created` bigint,
  `Expires` bigint
) engine=InnoDB charset=UTF8MB4;

create table if not exists `Users` (
  `UserId` bigint not null primary key auto_increment,
  `Email` varchar(255),
  `Username` varchar(255),
  `Password` mediumblob,
  `MultiSigAddress` varchar(255),
  `MultiSigScript` varchar(255),
  `PoolPubKeyAddr` varchar(255),
  `UserPubKeyAddr` varchar(255),
  `UserFeeAddr` varchar(255),
  `HeightRegistered` bigint,
  `EmailVerified` bigint,
  `EmailToken` varchar(255),
  `APIToken` varchar(255),
  `VoteBits` bigint,
  `VoteBitsVersion` bigint
) engine=InnoDB charset=UTF8MB4;
