//! Per-block caches of wallet answers, and the public stats answer prepared from them. They
//! only save wallet calls and work: each entry is keyed by the chain tip it was read at, so a
//! new block makes it stale, and an error is never cached. Nothing here is shared state
//! between instances: several hcpool-web processes behind a proxy each keep their own copy,
//! and each copy is right for the block it names.
//!
//! `/api/v1|v2/stats` is public and the same for everyone: its body is serialized once per
//! reading ([`ChainCache::stats_body`]) and served as those bytes until the tip, the stake
//! info or the user counts change. The tip is re-read at most [`TIP_TTL`] after the last
//! reading, the user counts at most [`COUNTS_TTL`] after theirs: a new block, or a user
//! signed up or registered through another instance, shows within that delay.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hcpool_core::backend::{BestBlock, StakeInfo, StakePoolUserInfo, UserCounts};
use hcpool_core::util::lock;
use hcpool_core::BlockHash;

use crate::metrics::{CacheCounters, CacheName};

/// How long the tip read for the public stats is reused: stats follow a new block within
/// this delay, and a burst of stats requests costs one `getbestblock` per period.
pub const TIP_TTL: Duration = Duration::from_secs(1);

/// How long the user counts of the stats are reused: a sign-up or an address registration
/// made through another instance (or by the original hcstakepool on the same database) shows
/// in this instance's stats within this delay; one made through this instance at once (the
/// API and page address handlers drop the counts). Under load the count query runs once per
/// period instead of once per request.
pub const COUNTS_TTL: Duration = TIP_TTL;

/// Stake info is re-read at least this often even when no block came (mempool counts move);
/// hcstakepool cached it for 5 minutes whatever happened.
pub const STATS_TTL: Duration = Duration::from_secs(60);

/// Users whose ticket lists are kept (the most recently read ones).
pub const USER_TICKETS_CAPACITY: usize = 512;

/// The caches.
#[derive(Debug, Default)]
pub struct ChainCache {
    tip: Mutex<Option<(Instant, BestBlock)>>,
    stake_info: Mutex<Option<(Instant, BlockHash, StakeInfo)>>,
    user_tickets: Mutex<HashMap<String, UserTickets>>,
    stats_body: Mutex<Option<StatsBody>>,
    health_body: Mutex<Option<HealthBody>>,
    /// Hits and misses, for the metrics.
    pub counters: CacheCounters,
}

/// The public health body: the block height it was made at, when, and its bytes.
type HealthBody = (i64, Instant, Arc<[u8]>);

/// The stats answer and the readings it was made from.
#[derive(Debug)]
struct StatsBody {
    info: StakeInfo,
    counts: UserCounts,
    body: Arc<[u8]>,
}

#[derive(Debug)]
struct UserTickets {
    tip: BlockHash,
    used: Instant,
    info: Arc<StakePoolUserInfo>,
}

impl ChainCache {
    /// The tip read less than [`TIP_TTL`] ago, if any.
    pub fn recent_tip(&self) -> Option<BestBlock> {
        let tip = lock(&self.tip)
            .as_ref()
            .filter(|(at, _)| at.elapsed() < TIP_TTL)
            .map(|(_, b)| *b);
        self.counters.record(CacheName::Tip, tip.is_some());
        tip
    }

    /// The tip if it was read at or after `since` (however old that is).
    pub fn tip_read_since(&self, since: Instant) -> Option<BestBlock> {
        lock(&self.tip)
            .as_ref()
            .filter(|(at, _)| *at >= since)
            .map(|(_, b)| *b)
    }

    /// Records a tip just read from the wallets.
    pub fn set_tip(&self, tip: &BestBlock) {
        *lock(&self.tip) = Some((Instant::now(), *tip));
    }

    /// Stake info read at `tip` less than [`STATS_TTL`] ago.
    pub fn stake_info(&self, tip: &BlockHash) -> Option<StakeInfo> {
        let info = lock(&self.stake_info)
            .as_ref()
            .filter(|(at, h, _)| h == tip && at.elapsed() < STATS_TTL)
            .map(|(_, _, i)| i.clone());
        self.counters.record(CacheName::StakeInfo, info.is_some());
        info
    }

    /// The last stake info read less than [`STATS_TTL`] ago, whatever tip it was read at:
    /// what the stats show while a re-read is under way.
    pub fn latest_stake_info(&self) -> Option<StakeInfo> {
        lock(&self.stake_info)
            .as_ref()
            .filter(|(at, _, _)| at.elapsed() < STATS_TTL)
            .map(|(_, _, i)| i.clone())
    }

    /// Records stake info read at `tip`.
    pub fn set_stake_info(&self, tip: &BlockHash, info: &StakeInfo) {
        *lock(&self.stake_info) = Some((Instant::now(), *tip, info.clone()));
    }

    /// A user's tickets read at `tip`.
    pub fn user_tickets(&self, multisig: &str, tip: &BlockHash) -> Option<Arc<StakePoolUserInfo>> {
        let mut map = lock(&self.user_tickets);
        let e = map.get_mut(multisig).filter(|e| e.tip == *tip);
        self.counters.record(CacheName::UserTickets, e.is_some());
        let e = e?;
        e.used = Instant::now();
        Some(Arc::clone(&e.info))
    }

    /// Records a user's tickets read at `tip`. Past [`USER_TICKETS_CAPACITY`] users, lists
    /// of older blocks go first, then the least recently used.
    pub fn set_user_tickets(
        &self,
        multisig: &str,
        tip: &BlockHash,
        info: StakePoolUserInfo,
    ) -> Arc<StakePoolUserInfo> {
        let info = Arc::new(info);
        let mut map = lock(&self.user_tickets);
        if map.len() >= USER_TICKETS_CAPACITY && !map.contains_key(multisig) {
            map.retain(|_, e| e.tip == *tip);
            if map.len() >= USER_TICKETS_CAPACITY {
                if let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, e)| e.used)
                    .map(|(k, _)| k.clone())
                {
                    map.remove(&oldest);
                }
            }
        }
        map.insert(
            multisig.to_owned(),
            UserTickets {
                tip: *tip,
                used: Instant::now(),
                info: Arc::clone(&info),
            },
        );
        info
    }

    /// The stats body for these readings: the one prepared for the same stake info and
    /// counts, or `make`'s, kept for the next request. The settings the body also shows are
    /// fixed for the life of the state.
    pub fn stats_body(
        &self,
        info: &StakeInfo,
        counts: UserCounts,
        make: impl FnOnce() -> Vec<u8>,
    ) -> Arc<[u8]> {
        if let Some(p) = lock(&self.stats_body).as_ref() {
            if p.counts == counts && p.info == *info {
                self.counters.record(CacheName::StatsBody, true);
                return Arc::clone(&p.body);
            }
        }
        self.counters.record(CacheName::StatsBody, false);
        let body: Arc<[u8]> = make().into();
        *lock(&self.stats_body) = Some(StatsBody {
            info: info.clone(),
            counts,
            body: Arc::clone(&body),
        });
        body
    }

    /// The public health body prepared at block `height` less than `ttl` ago, or
    /// `make`'s, kept for the next request (per block: a new block makes it stale; the TTL
    /// bounds how long the wallets' figures in it may lag within one block).
    pub fn health_body(
        &self,
        height: i64,
        ttl: Duration,
        make: impl FnOnce() -> Vec<u8>,
    ) -> Arc<[u8]> {
        if let Some((h, at, body)) = lock(&self.health_body).as_ref() {
            if *h == height && at.elapsed() < ttl {
                self.counters.record(CacheName::Health, true);
                return Arc::clone(body);
            }
        }
        self.counters.record(CacheName::Health, false);
        let body: Arc<[u8]> = make().into();
        *lock(&self.health_body) = Some((height, Instant::now(), Arc::clone(&body)));
        body
    }

    /// Forgets everything (the demo mined a block: show it at once).
    pub fn clear(&self) {
        *lock(&self.health_body) = None;
        *lock(&self.tip) = None;
        *lock(&self.stake_info) = None;
        lock(&self.user_tickets).clear();
        *lock(&self.stats_body) = None;
    }

    /// Number of users whose tickets are kept.
    #[cfg(test)]
    fn user_tickets_len(&self) -> usize {
        lock(&self.user_tickets).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcpool_core::backend::UserTicket;

    fn tip(n: u8) -> BestBlock {
        BestBlock {
            hash: BlockHash::from_bytes([n; 32]),
            height: u32::from(n),
        }
    }

    fn info(n: usize) -> StakePoolUserInfo {
        StakePoolUserInfo {
            tickets: Vec::<UserTicket>::new(),
            invalid: vec![hcpool_core::TicketHash::from_bytes([7; 32]); n],
        }
    }

    #[test]
    fn user_tickets_are_valid_for_the_block_they_were_read_at() {
        let c = ChainCache::default();
        let (a, b) = (tip(1), tip(2));
        assert!(c.user_tickets("TcA", &a.hash).is_none());
        c.set_user_tickets("TcA", &a.hash, info(3));
        assert_eq!(
            c.user_tickets("TcA", &a.hash).map(|i| i.invalid.len()),
            Some(3)
        );
        assert!(c.user_tickets("TcA", &b.hash).is_none(), "a new block");
        assert!(c.user_tickets("TcB", &a.hash).is_none(), "another user");
        c.clear();
        assert!(c.user_tickets("TcA", &a.hash).is_none());
    }

    #[test]
    fn user_tickets_stay_bounded_dropping_older_blocks_first() {
        let c = ChainCache::default();
        let (old, new) = (tip(1), tip(2));
        c.set_user_tickets("old", &old.hash, info(0));
        for i in 1..USER_TICKETS_CAPACITY {
            c.set_user_tickets(&format!("u{i}"), &new.hash, info(0));
        }
        assert_eq!(c.user_tickets_len(), USER_TICKETS_CAPACITY);
        c.set_user_tickets("newest", &new.hash, info(1));
        assert_eq!(c.user_tickets_len(), USER_TICKETS_CAPACITY);
        assert!(
            c.user_tickets("old", &old.hash).is_none(),
            "the stale one went"
        );
        assert!(c.user_tickets("newest", &new.hash).is_some());
        // All on one block: the least recently used goes.
        let _ = c.user_tickets("u1", &new.hash);
        c.set_user_tickets("another", &new.hash, info(1));
        assert_eq!(c.user_tickets_len(), USER_TICKETS_CAPACITY);
        assert!(c.user_tickets("u1", &new.hash).is_some(), "just used");
        assert!(c.user_tickets("another", &new.hash).is_some());
    }

    #[test]
    fn the_stats_body_is_made_once_per_reading() {
        let c = ChainCache::default();
        let mut info = StakeInfo::default();
        let counts = UserCounts { all: 2, active: 1 };
        let made = std::cell::Cell::new(0);
        let make = |s: &str| {
            made.set(made.get() + 1);
            s.as_bytes().to_vec()
        };
        assert_eq!(&*c.stats_body(&info, counts, || make("a")), b"a");
        assert_eq!(&*c.stats_body(&info, counts, || make("b")), b"a");
        assert_eq!(made.get(), 1, "the same readings: the same bytes");
        info.live = 9;
        assert_eq!(&*c.stats_body(&info, counts, || make("c")), b"c");
        let more = UserCounts { all: 3, active: 1 };
        assert_eq!(&*c.stats_body(&info, more, || make("d")), b"d");
        c.clear();
        assert_eq!(&*c.stats_body(&info, more, || make("e")), b"e");
        assert_eq!(made.get(), 4);
    }

    #[test]
    fn stake_info_and_tip_follow_the_block() {
        let c = ChainCache::default();
        assert!(c.recent_tip().is_none());
        c.set_tip(&tip(4));
        assert_eq!(c.recent_tip().map(|t| t.height), Some(4));
        let si = StakeInfo::default();
        c.set_stake_info(&tip(4).hash, &si);
        assert!(c.stake_info(&tip(4).hash).is_some());
        assert!(c.stake_info(&tip(5).hash).is_none());
    }
}
