-- Email uniqueness that holds under READ COMMITTED and across Galera nodes: one row per
-- email in use, the email being the primary key. Users.Email itself stays non-unique, because
-- legacy hcstakepool databases may hold duplicates (the lowest UserId keeps the claim; the
-- others keep signing in, and nobody new can take that email). The column gets the charset
-- and collation of Users.Email in place of the marker below (src/migrate.rs), so the claim
-- compares emails exactly as the sign-in lookup does. DYNAMIC rows: a 255-character utf8mb4
-- key needs more than the 767 bytes of the old row formats.
create table if not exists `hcpool_emails` (
  `Email` varchar(255) /*users-email-collation*/ not null,
  `UserId` bigint not null,
  primary key (`Email`),
  key `hcpool_emails_user` (`UserId`)
) engine=InnoDB charset=UTF8MB4 row_format=DYNAMIC;
insert ignore into `hcpool_emails` (`Email`, `UserId`)
  select `Email`, min(`UserId`) from `Users`
  where `Email` is not null and `Email` <> '' group by `Email`;
