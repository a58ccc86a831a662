//! hcpool-db integration tests: the shared store suite and the database-specific checks,
//! on SQLite always and on MariaDB/MySQL when `HCPOOL_TEST_MYSQL_URL` is set.

mod concurrency;
mod conformance;
mod legacy;
mod support;
mod transactions;
mod unavailable;
