//! An existing hcstakepool MySQL database, in the shape 1.1.x leaves it and in the older
//! shape without the later-added columns, opens under hcpool with every row intact, the
//! backfills hcstakepool would do, and a second open changes nothing.

use hcpool_core::backend::{EmailVerification, Store, UserStore};
use hcpool_core::{Secret, UserId, VoteBits};
use hcpool_db::SqlStore;
use sqlx::{MySqlPool, Row};

use crate::support::{mysql_server, MySqlDb};

/// Real registration values from the shared vectors (a mainnet 1-of-2 multisig).
struct Reg {
    multisig: String,
    script: String,
    pool_pk: String,
    user_pk: String,
    fee: String,
}

fn reg() -> Reg {
    let v: serde_json::Value = serde_json::from_str(include_str!(
        "../../../hcpool-core/tests/data/keys-addresses.json"
    ))
    .unwrap();
    let m = &v["multisig"][0];
    let s = |x: &serde_json::Value| x.as_str().unwrap().to_owned();
    Reg {
        multisig: s(&m["p2sh_address"]),
        script: s(&m["redeem_script_hex"]),
        pool_pk: s(&m["pool_pubkey_address"]),
        user_pk: s(&m["user_pubkey_address"]),
        fee: s(&v["derivations"][0]["addresses"][1]["address"]),
    }
}

/// The tables as hcstakepool 1.1.x's gorp layer leaves them (types as MySQL reports them).
const SHAPE_1_1: &str = "
create table EmailChange (EmailChangeID bigint(20) not null primary key auto_increment,
  UserId bigint(20), NewEmail varchar(255), Token varchar(255), Created bigint(20),
  Expires bigint(20)) engine=InnoDB charset=UTF8MB4;
create table LowFeeTicket (LowFeeTicketID bigint(20) not null primary key auto_increment,
  AddedByUid bigint(20), TicketAddress varchar(255), TicketHash varchar(255),
  TicketExpiry bigint(20), Voted bigint(20), Created bigint(20), Expires bigint(20))
  engine=InnoDB charset=UTF8MB4;
create table PasswordReset (PasswordResetID bigint(20) not null primary key auto_increment,
  UserId bigint(20), Token varchar(255), Created bigint(20), Expires bigint(20))
  engine=InnoDB charset=UTF8MB4;
create table Users (UserId bigint(20) not null primary key auto_increment,
  Email varchar(255), Username varchar(255), Password mediumblob,
  MultiSigAddress varchar(255), MultiSigScript varchar(255), PoolPubKeyAddr varchar(255),
  UserPubKeyAddr varchar(255), UserFeeAddr varchar(255), HeightRegistered bigint(20),
  EmailVerified bigint(20), EmailToken varchar(255), APIToken varchar(255),
  VoteBits bigint(20), VoteBitsVersion bigint(20)) engine=InnoDB charset=UTF8MB4;
";

/// The older shape: Users before HeightRegistered … VoteBitsVersion, no LowFeeTicket.
const SHAPE_OLD: &str = "
create table EmailChange (EmailChangeID bigint(20) not null primary key auto_increment,
  UserId bigint(20), NewEmail varchar(255), Token varchar(255), Created bigint(20),
  Expires bigint(20)) engine=InnoDB charset=UTF8MB4;
create table PasswordReset (PasswordResetID bigint(20) not null primary key auto_increment,
  UserId bigint(20), Token varchar(255), Created bigint(20), Expires bigint(20))
  engine=InnoDB charset=UTF8MB4;
create table Users (UserId bigint(20) not null primary key auto_increment,
  Email varchar(255), Username varchar(255), Password mediumblob,
  MultiSigAddress varchar(255), MultiSigScript varchar(255), PoolPubKeyAddr varchar(255),
  UserPubKeyAddr varchar(255), UserFeeAddr varchar(255)) engine=InnoDB charset=UTF8MB4;
";

const BCRYPT: &str = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";

/// Every column of `table`, every row, as text (NULL shown as `<NULL>`), in key order.
async fn dump(pool: &MySqlPool, db: &str, table: &str) -> Vec<Vec<String>> {
    let cols: Vec<String> = sqlx::query(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
    )
    .bind(db)
    .bind(table)
    .fetch_all(pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get::<String, _>(0).unwrap())
    .collect();
    let exprs: Vec<String> = cols
        .iter()
        .map(|c| format!("COALESCE(CAST(`{c}` AS CHAR), '<NULL>')"))
        .collect();
    let sql = format!("SELECT {} FROM `{table}` ORDER BY 1", exprs.join(", "));
    let rows = sqlx::query(&sql).fetch_all(pool).await.unwrap();
    let mut out = vec![cols.clone()];
    for r in rows {
        out.push(
            (0..cols.len())
                .map(|i| r.try_get::<String, _>(i).unwrap())
                .collect(),
        );
    }
    out
}

async fn dump_all(pool: &MySqlPool, db: &str) -> Vec<Vec<Vec<String>>> {
    let mut all = Vec::new();
    for t in ["Users", "EmailChange", "PasswordReset", "LowFeeTicket"] {
        all.push(dump(pool, db, t).await);
    }
    all
}

async fn count(pool: &MySqlPool, sql: &str, db: &str) -> i64 {
    sqlx::query(sql)
        .bind(db)
        .fetch_one(pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

#[tokio::test]
async fn hcstakepool_1_1_database_opens_intact_and_idempotently() {
    let Some(server) = mysql_server() else {
        return;
    };
    let db = MySqlDb::create(&server).await;
    let raw = db.raw().await;
    let r = reg();
    sqlx::raw_sql(SHAPE_1_1).execute(&raw).await.unwrap();
    let users = format!(
        "INSERT INTO Users VALUES
         (1, 'Reg@Example.com', 'Reg@Example.com', '{BCRYPT}', '{ms}', '{sc}', '{pp}', '{up}',
          '{fee}', 41000, 1, '', 'jwt-one', 5, 4),
         (2, 'unverified@example.com', 'unverified@example.com', '{BCRYPT}', '', '', '', '', '',
          0, 0, 'abcdef0123456789abcdef0123456789', '', 1, 4),
         (3, 'old@example.com', 'old@example.com', '{BCRYPT}', '', '', '', '', '', 0, 2, '', '',
          1, 3),
         (7, 'reg@example.com', 'dup', '{BCRYPT}', '', '', '', '', '', 0, 1, '', 'jwt-seven', 1, 4)",
        ms = r.multisig,
        sc = r.script,
        pp = r.pool_pk,
        up = r.user_pk,
        fee = r.fee
    );
    sqlx::raw_sql(&users).execute(&raw).await.unwrap();
    sqlx::raw_sql(&format!(
        "INSERT INTO EmailChange VALUES (1, 3, 'new@example.com', 'ectoken', 100, 4000000000);
         INSERT INTO PasswordReset VALUES (1, 2, 'prtoken', 100, 4000000000);
         INSERT INTO LowFeeTicket VALUES (1, 1, '{ms}',
           '{hash}', 0, 0, 100, 4000000000)",
        ms = r.multisig,
        hash = "00".repeat(31) + "ab"
    ))
    .execute(&raw)
    .await
    .unwrap();
    let before = dump_all(&raw, &db.name).await;

    let store = SqlStore::connect(&db.url).await.unwrap();
    let after = dump_all(&raw, &db.name).await;
    assert_eq!(before, after, "opening a 1.1.x database changes no row");

    // The rows read back through the store.
    let s: &dyn Store = &store;
    let counts = s.user_counts().await.unwrap();
    assert_eq!((counts.all, counts.active), (4, 1));
    let dup = s.user_by_email("REG@example.com").await.unwrap().unwrap();
    assert_eq!(
        dup.id,
        UserId(1),
        "legacy duplicate emails: the lowest id wins"
    );
    let u2 = s
        .user_by_email("unverified@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (u2.id, u2.email_verified),
        (UserId(2), EmailVerification::Pending)
    );
    assert_eq!(u2.password_hash.expose(), BCRYPT);
    assert_eq!(u2.email_token.expose(), "abcdef0123456789abcdef0123456789");
    assert_eq!((u2.vote_bits, u2.vote_bits_version), (VoteBits(1), 4));
    let u1 = s.user(UserId(1)).await.unwrap().unwrap();
    let reg1 = u1.registration.expect("user 1 is registered");
    assert_eq!(reg1.multisig_address.to_string(), r.multisig);
    assert_eq!(reg1.multisig_script.to_hex(), r.script);
    assert_eq!(reg1.pool_pubkey_addr.to_string(), r.pool_pk);
    assert_eq!(reg1.user_pubkey_addr.to_string(), r.user_pk);
    assert_eq!(reg1.user_fee_addr.to_string(), r.fee);
    assert_eq!(reg1.height_registered, 41000);
    assert_eq!(
        (u1.email_verified, u1.api_token.expose().as_str()),
        (EmailVerification::Verified, "jwt-one")
    );
    let configs = s.voting_configs().await.unwrap();
    assert_eq!(configs.len(), 1);
    assert_eq!(configs[0].multisig_address, r.multisig);
    assert_eq!(
        (configs[0].vote_bits, configs[0].vote_bits_version),
        (VoteBits(5), 4)
    );
    let scripts = s.multisig_scripts().await.unwrap();
    assert_eq!(scripts.len(), 1);
    assert_eq!(scripts[0].script.to_hex(), r.script);
    assert_eq!(scripts[0].height_registered, 41000);
    assert_eq!(
        s.verified_users_without_api_token().await.unwrap(),
        vec![UserId(3)]
    );
    let by_token = s.user_by_api_token("jwt-seven").await.unwrap().unwrap();
    assert_eq!(by_token.username, "dup");
    let change = s.email_change("ectoken").await.unwrap().unwrap();
    assert_eq!(
        (change.user_id, change.new_email.as_str()),
        (UserId(3), "new@example.com")
    );
    assert_eq!(
        s.password_reset("prtoken").await.unwrap().unwrap().user_id,
        UserId(2)
    );
    let votable = s.votable_low_fee_tickets(200).await.unwrap();
    assert_eq!(votable.len(), 1);
    assert_eq!(votable[0].ticket_hash.to_string(), "00".repeat(31) + "ab");
    assert_eq!(
        s.verify_email("").await.unwrap(),
        None,
        "'' never verifies anyone"
    );

    // Second open: nothing changes; migrations are recorded once.
    drop(store);
    let again = SqlStore::connect(&db.url).await.unwrap();
    assert_eq!(dump_all(&raw, &db.name).await, after);
    let applied = count(
        &raw,
        "SELECT COUNT(*) FROM hcpool_migrations WHERE ? <> ''",
        &db.name,
    );
    // 0001–0010 (0009 the vote records, 0010 the notification scan claims).
    assert_eq!(applied.await, 10);
    let indexes = count(
        &raw,
        "SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = ? AND INDEX_NAME LIKE 'hcpool%'",
        &db.name,
    );
    assert_eq!(indexes.await, 18);
    // The legacy duplicates: the lowest id holds the claim on their email.
    let claims: Vec<(String, i64)> =
        sqlx::query_as("SELECT Email, UserId FROM hcpool_emails ORDER BY UserId")
            .fetch_all(&raw)
            .await
            .unwrap();
    assert_eq!(
        claims,
        vec![
            ("Reg@Example.com".to_owned(), 1),
            ("unverified@example.com".to_owned(), 2),
            ("old@example.com".to_owned(), 3)
        ]
    );

    // New users continue after the legacy ids.
    let id = UserStore::create_user(
        &again,
        &hcpool_core::backend::NewUser {
            email: "fresh@example.com".into(),
            password_hash: Secret::new("h".into()),
            email_token: Secret::new("t".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: 4,
        },
    )
    .await
    .unwrap();
    assert_eq!(id, UserId(8));
    let taken = UserStore::create_user(
        &again,
        &hcpool_core::backend::NewUser {
            email: "OLD@example.com".into(),
            password_hash: Secret::new("h".into()),
            email_token: Secret::new("t2".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: 4,
        },
    )
    .await;
    assert!(taken.is_err(), "an email taken by a legacy user is refused");
}

#[tokio::test]
async fn pre_1_0_database_gets_hcstakepool_backfills() {
    let Some(server) = mysql_server() else {
        return;
    };
    let db = MySqlDb::create(&server).await;
    let raw = db.raw().await;
    let r = reg();
    sqlx::raw_sql(SHAPE_OLD).execute(&raw).await.unwrap();
    sqlx::raw_sql(&format!(
        "INSERT INTO Users VALUES
         (1, 'reg@example.com', 'reg@example.com', '{BCRYPT}', '{ms}', '{sc}', '{pp}', '{up}',
          '{fee}'),
         (2, 'plain@example.com', 'plain@example.com', '{BCRYPT}', '', '', '', '', ''),
         (4, 'nulls@example.com', NULL, NULL, '', NULL, NULL, NULL, NULL);
         INSERT INTO PasswordReset VALUES (1, 2, 'prtoken', 100, 4000000000);",
        ms = r.multisig,
        sc = r.script,
        pp = r.pool_pk,
        up = r.user_pk,
        fee = r.fee
    ))
    .execute(&raw)
    .await
    .unwrap();
    let before = dump(&raw, &db.name, "Users").await;

    let store = SqlStore::connect(&db.url).await.unwrap();
    let after = dump(&raw, &db.name, "Users").await;
    // The original nine columns are untouched; the six new ones follow UserFeeAddr.
    assert_eq!(after[0][..9], before[0][..]);
    assert_eq!(
        after[0][9..],
        [
            "HeightRegistered",
            "EmailVerified",
            "EmailToken",
            "APIToken",
            "VoteBits",
            "VoteBitsVersion"
        ]
    );
    for (b, a) in before.iter().zip(&after).skip(1) {
        assert_eq!(a[..9], b[..], "original columns of user {} unchanged", b[0]);
    }
    let new_cols: Vec<Vec<String>> = after.iter().skip(1).map(|row| row[9..].to_vec()).collect();
    let expect = |height: &str| [height, "2", "", "", "1", "3"].map(String::from).to_vec();
    assert_eq!(new_cols, vec![expect("15346"), expect("0"), expect("0")]);

    let s: &dyn Store = &store;
    let u = s.user_by_email("plain@example.com").await.unwrap().unwrap();
    assert_eq!(
        (u.email_verified, u.vote_bits, u.vote_bits_version),
        (EmailVerification::Grandfathered, VoteBits(1), 3)
    );
    assert!(u.is_verified(), "grandfathered users keep signing in");
    let nulls = s.user(UserId(4)).await.unwrap().unwrap();
    assert_eq!(
        (
            nulls.username.as_str(),
            nulls.password_hash.expose().as_str()
        ),
        ("", "")
    );
    assert_eq!(
        s.verified_users_without_api_token().await.unwrap(),
        vec![UserId(1), UserId(2), UserId(4)]
    );
    let scripts = s.multisig_scripts().await.unwrap();
    assert_eq!(scripts.len(), 1);
    assert_eq!(scripts[0].height_registered, 15346);
    let u1 = s.user(UserId(1)).await.unwrap().unwrap();
    assert_eq!(
        u1.registration.map(|g| g.multisig_address.to_string()),
        Some(r.multisig.clone())
    );
    // hcstakepool's step 6, done by the web app with its JWT secret, in one call.
    let tokens: Vec<_> = [1, 2, 4]
        .into_iter()
        .map(|i| (UserId(i), Secret::new(format!("jwt-{i}"))))
        .collect();
    assert_eq!(s.set_missing_api_tokens(&tokens).await.unwrap(), 3);
    assert!(s
        .verified_users_without_api_token()
        .await
        .unwrap()
        .is_empty());

    drop(store);
    let snapshot = dump(&raw, &db.name, "Users").await;
    let _again = SqlStore::connect(&db.url).await.unwrap();
    assert_eq!(
        dump(&raw, &db.name, "Users").await,
        snapshot,
        "second open changes nothing"
    );
    assert_eq!(
        dump(&raw, &db.name, "PasswordReset").await.len(),
        2,
        "header + the one reset row"
    );
}
