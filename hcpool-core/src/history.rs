//! The pool's history for the charts: one [`HistorySample`] of the wallets' stake info per
//! block, kept in the store ([`crate::backend::HistoryStore`]) and thinned
//! with age by [`Retention`], and what the charts draw from it (votes and misses per day,
//! the pool's share of the network), plus a user's own history derived from their tickets.
//!
//! Pure: no I/O except [`prune`], which only calls the store role it is given.

use crate::backend::{HistoryStore, StakeInfo, TicketStatus, UserTicket};
use crate::error::Result;

/// Seconds in an hour and in a day (UTC days: the charts' buckets).
pub const HOUR: i64 = 3600;
/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// The stake info at one block, as the charts need it. Keyed by `height`: several web
/// instances behind one database record the same block once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistorySample {
    /// Block height the stake info was read at.
    pub height: u32,
    /// When it was read (unix seconds, the pool's clock).
    pub time: i64,
    /// The pool's live tickets.
    pub live: u32,
    /// The pool's voted tickets (cumulative).
    pub voted: u32,
    /// The pool's missed tickets (cumulative).
    pub missed: u32,
    /// The network's live tickets (the ticket pool size).
    pub network_live: u32,
    /// Ticket price (next stake difficulty), coins.
    pub ticket_price: f64,
}

impl HistorySample {
    /// The sample of `info` read at `time`; `None` when the wallet reported no usable height
    /// (negative or past `u32`).
    pub fn from_stake_info(info: &StakeInfo, time: i64) -> Option<Self> {
        let height = u32::try_from(info.block_height).ok()?;
        Some(HistorySample {
            height,
            time,
            live: info.live,
            voted: info.voted,
            missed: info.missed,
            network_live: info.pool_size,
            ticket_price: if info.difficulty.is_finite() {
                info.difficulty
            } else {
                0.0
            },
        })
    }

    /// The pool's share of the network's live tickets, percent (`None` when the network
    /// size is unknown, zero).
    pub fn pool_share_percent(&self) -> Option<f64> {
        (self.network_live > 0).then(|| f64::from(self.live) * 100.0 / f64::from(self.network_live))
    }
}

/// How long samples are kept at which resolution: every block for `per_block_secs`, then
/// the first sample of each UTC hour until `hourly_secs`, then the first of each UTC day
/// until `daily_secs`; older ones go. Thinning is stable: a sample kept at a coarser step
/// was kept at every finer one (the first of a day is the first of its hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Every sample younger than this is kept.
    pub per_block_secs: i64,
    /// Hourly samples are kept up to this age.
    pub hourly_secs: i64,
    /// Daily samples are kept up to this age.
    pub daily_secs: i64,
}

impl Default for Retention {
    /// Every block for 2 days, hourly for 60 days, daily for 5 years: at most about
    /// 2 days of blocks (1 152 at mainnet's 150 s) + 1 392 hourly + 1 766 daily rows.
    fn default() -> Self {
        Retention {
            per_block_secs: 2 * DAY,
            hourly_secs: 60 * DAY,
            daily_secs: 5 * 365 * DAY,
        }
    }
}

impl Retention {
    /// The heights among `samples` (height, time) that this retention drops at `now`.
    pub fn prunable(&self, samples: &[(u32, i64)], now: i64) -> Vec<u32> {
        let mut v: Vec<(i64, u32)> = samples.iter().map(|&(h, t)| (t, h)).collect();
        v.sort_unstable();
        let mut drop = Vec::new();
        let (mut last_hour, mut last_day) = (None, None);
        for (t, h) in v {
            let (hour, day) = (t.div_euclid(HOUR), t.div_euclid(DAY));
            let first_of_hour = last_hour != Some(hour);
            let first_of_day = last_day != Some(day);
            last_hour = Some(hour);
            last_day = Some(day);
            let age = now.saturating_sub(t);
            let keep = if age < self.per_block_secs {
                true
            } else if age < self.hourly_secs {
                first_of_hour
            } else if age < self.daily_secs {
                first_of_day
            } else {
                false
            };
            if !keep {
                drop.push(h);
            }
        }
        drop
    }
}

/// Thins the store's samples by `retention` at `now`; returns how many rows went. Several
/// instances may run it at once: the same rows are chosen, and deleting twice deletes
/// nothing the second time.
///
/// # Errors
/// The store's error.
pub async fn prune(store: &dyn HistoryStore, now: i64, retention: &Retention) -> Result<u64> {
    let old = store
        .history_samples(i64::MIN, now.saturating_sub(retention.per_block_secs))
        .await?;
    let pairs: Vec<(u32, i64)> = old.iter().map(|s| (s.height, s.time)).collect();
    let drop = retention.prunable(&pairs, now);
    if drop.is_empty() {
        return Ok(0);
    }
    store.delete_history_samples(&drop).await
}

/// Votes and misses in one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCounts {
    /// The day's first second (unix, UTC midnight).
    pub day: i64,
    /// Tickets voted that day.
    pub votes: u32,
    /// Tickets missed that day.
    pub misses: u32,
}

/// Votes and misses per UTC day from the cumulative counters of `samples` (any order): each
/// day's last reading minus the last reading before the day (for the first day, its first
/// reading). A counter that went down (a wallet replaced) counts nothing that day.
pub fn per_day(samples: &[HistorySample]) -> Vec<DayCounts> {
    let mut v: Vec<&HistorySample> = samples.iter().collect();
    v.sort_by_key(|s| (s.time, s.height));
    let mut out = Vec::new();
    let mut base: Option<&HistorySample> = None;
    let mut i = 0;
    while let Some(first) = v.get(i) {
        let day = first.time.div_euclid(DAY);
        let mut last = *first;
        while let Some(s) = v.get(i).filter(|s| s.time.div_euclid(DAY) == day) {
            last = s;
            i += 1;
        }
        let from = base.unwrap_or(first);
        out.push(DayCounts {
            day: day.saturating_mul(DAY),
            votes: last.voted.saturating_sub(from.voted),
            misses: last.missed.saturating_sub(from.missed),
        });
        base = Some(last);
    }
    out
}

/// One day of a user's tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserDay {
    /// The day's first second (unix, UTC midnight).
    pub day: i64,
    /// Tickets mined and not yet spent at the end of the day (immature or live).
    pub live: u32,
    /// Tickets voted that day.
    pub votes: u32,
    /// Tickets missed that day (counted at their revocation).
    pub misses: u32,
}

/// A user's tickets per UTC day for the `days` days up to `now`, from the tickets' heights.
/// The wallets give heights, not times: a height's time is estimated from the tip
/// (`tip_height` at `now`) back at `secs_per_block` per block, the network's target
/// spacing. A missed ticket counts on the day of its revocation (the height the wallet
/// reports for it). Tickets above the tip are taken as mined at the tip.
pub fn user_per_day(
    tickets: &[UserTicket],
    tip_height: u32,
    now: i64,
    secs_per_block: u64,
    days: u32,
) -> Vec<UserDay> {
    let spacing = i64::try_from(secs_per_block.max(1)).unwrap_or(i64::MAX);
    let time_of = |h: u32| {
        let behind = i64::from(tip_height.saturating_sub(h));
        now.saturating_sub(behind.saturating_mul(spacing))
    };
    let today = now.div_euclid(DAY);
    let first = today.saturating_sub(i64::from(days.max(1)) - 1);
    let mut out: Vec<UserDay> = (first..=today)
        .map(|d| UserDay {
            day: d.saturating_mul(DAY),
            live: 0,
            votes: 0,
            misses: 0,
        })
        .collect();
    let slot = |t: i64| usize::try_from(t.div_euclid(DAY).saturating_sub(first)).ok();
    let len = out.len();
    for t in tickets {
        let mined = time_of(t.ticket_height);
        let spent = (t.spent_by_height > 0).then(|| time_of(t.spent_by_height));
        // Live at the end of each day from its mining to its spending.
        let from = slot(mined).unwrap_or(0);
        let until = match spent {
            Some(s) => slot(s).unwrap_or(0).min(len),
            None => len,
        };
        for d in out.iter_mut().take(until).skip(from) {
            d.live += 1;
        }
        if let Some(d) = spent.and_then(slot).and_then(|i| out.get_mut(i)) {
            match t.status {
                TicketStatus::Voted => d.votes += 1,
                TicketStatus::Missed => d.misses += 1,
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{TicketHash, TxHash};

    fn s(height: u32, time: i64, voted: u32, missed: u32) -> HistorySample {
        HistorySample {
            height,
            time,
            live: 5,
            voted,
            missed,
            network_live: 50,
            ticket_price: 1.5,
        }
    }

    #[test]
    fn sample_from_stake_info() {
        let info = StakeInfo {
            block_height: 42,
            pool_size: 40,
            live: 10,
            voted: 3,
            missed: 1,
            difficulty: f64::NAN,
            ..StakeInfo::default()
        };
        let x = HistorySample::from_stake_info(&info, 7).unwrap();
        assert_eq!((x.height, x.time, x.live, x.network_live), (42, 7, 10, 40));
        assert_eq!(x.ticket_price, 0.0, "NaN price is not stored");
        assert_eq!(x.pool_share_percent(), Some(25.0));
        let none = StakeInfo {
            block_height: -1,
            ..info
        };
        assert!(HistorySample::from_stake_info(&none, 7).is_none());
        assert_eq!(s(1, 0, 0, 0).pool_share_percent(), Some(10.0));
        let empty = HistorySample {
            network_live: 0,
            ..s(1, 0, 0, 0)
        };
        assert_eq!(empty.pool_share_percent(), None);
    }

    #[test]
    fn retention_thins_with_age_and_is_stable() {
        let r = Retention::default();
        let now = 400 * DAY;
        // One sample every 10 minutes for 400 days.
        let all: Vec<(u32, i64)> = (0..400 * 144)
            .map(|i| (i as u32, i64::from(i) * 600))
            .collect();
        let drop: std::collections::HashSet<u32> = r.prunable(&all, now).into_iter().collect();
        let kept: Vec<(u32, i64)> = all
            .iter()
            .copied()
            .filter(|(h, _)| !drop.contains(h))
            .collect();
        let recent = kept.iter().filter(|(_, t)| now - t < 2 * DAY).count();
        assert_eq!(recent, 2 * 144 - 1, "every sample younger than 2 days");
        let hourly = kept
            .iter()
            .filter(|(_, t)| (2 * DAY..60 * DAY).contains(&(now - t)))
            .count();
        assert_eq!(hourly, 58 * 24, "the first of each hour");
        let daily = kept.iter().filter(|(_, t)| now - t >= 60 * DAY).count();
        assert_eq!(daily, 341, "the first of each day");
        // Pruning what is left drops nothing more.
        assert!(r.prunable(&kept, now).is_empty());
        // Past the daily horizon nothing stays.
        let short = Retention {
            daily_secs: 100 * DAY,
            ..r
        };
        assert!(short
            .prunable(&kept, now)
            .iter()
            .all(|h| i64::from(*h) * 600 <= now - 60 * DAY));
        assert_eq!(r.prunable(&[], now), Vec::<u32>::new());
    }

    #[test]
    fn votes_and_misses_per_day_from_counters() {
        let samples = [
            s(3, DAY + 100, 12, 2),
            s(1, 10, 5, 1),
            s(2, 5000, 8, 1),
            s(4, DAY + 200, 15, 2),
            s(5, 3 * DAY, 4, 3), // the counter went down: a wallet was replaced
        ];
        let d = per_day(&samples);
        assert_eq!(
            d,
            vec![
                DayCounts {
                    day: 0,
                    votes: 3,
                    misses: 0
                },
                DayCounts {
                    day: DAY,
                    votes: 7,
                    misses: 1
                },
                DayCounts {
                    day: 3 * DAY,
                    votes: 0,
                    misses: 1
                },
            ]
        );
        assert!(per_day(&[]).is_empty());
    }

    fn ticket(status: TicketStatus, mined: u32, spent: u32) -> UserTicket {
        UserTicket {
            status,
            ticket: TicketHash::from_bytes([1; 32]),
            ticket_height: mined,
            spent_by: TxHash::from_bytes([0; 32]),
            spent_by_height: spent,
        }
    }

    #[test]
    fn user_days_from_ticket_heights() {
        // 1 block per hour, tip 100 at the end of day 10.
        let now = 11 * DAY - 1;
        let tickets = [
            ticket(TicketStatus::Live, 90, 0),    // mined today
            ticket(TicketStatus::Live, 60, 0),    // mined yesterday
            ticket(TicketStatus::Voted, 60, 70),  // mined and voted yesterday
            ticket(TicketStatus::Missed, 30, 90), // mined 2 days ago, revoked today
            ticket(TicketStatus::Voted, 1, 5),    // long before the window
            ticket(TicketStatus::Live, 500, 0),   // above the tip: mined now
        ];
        let d = user_per_day(&tickets, 100, now, 3600, 3);
        let days: Vec<i64> = d.iter().map(|x| x.day / DAY).collect();
        assert_eq!(days, vec![8, 9, 10]);
        let live: Vec<u32> = d.iter().map(|x| x.live).collect();
        assert_eq!(live, vec![1, 2, 3]);
        let votes: Vec<u32> = d.iter().map(|x| x.votes).collect();
        assert_eq!(votes, vec![0, 1, 0]);
        let misses: Vec<u32> = d.iter().map(|x| x.misses).collect();
        assert_eq!(misses, vec![0, 0, 1]);
        assert_eq!(user_per_day(&[], 0, now, 0, 0).len(), 1);
    }
}
