//! The charts of the stats and tickets pages, and the per-block sampling behind the first.
//!
//! Once per block the wallets' stake info (the reading the stats page shows) is stored as a
//! [`HistorySample`] keyed by height ([`hcpool_core::backend::HistoryStore`]): whichever
//! instance sees the block first records it, the others' inserts are ignored. Each instance
//! samples from a background task every [`SAMPLE_INTERVAL`] and whenever the stats page
//! reads a new block; it prunes by [`Retention::default`] at most every [`PRUNE_INTERVAL`].
//!
//! A user's charts come from their own tickets (the tickets page's list): the wallets give
//! heights only, so a day is estimated from the tip back at the network's target spacing
//! ([`hcpool_core::history::user_per_day`]).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hcpool_core::backend::{StakeInfo, UserTicket};
use hcpool_core::history::{self, HistorySample, Retention, DAY};
use hcpool_core::service::PoolService;
use hcpool_core::util::lock;
use hcpool_i18n::{catalogue, Lang};
use rocket::fairing::AdHoc;
use serde::Serialize;

use crate::chart::{self, Chart, Series, Style};
use crate::state::AppState;

/// How often the background task looks for a new block to sample.
pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(15);

/// How often an instance thins the stored history.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);

/// How far back the charts reach, days.
pub const CHART_DAYS: u32 = 30;

/// One chart of a page: its caption and the inline `<svg>`.
#[derive(Debug, Clone, Serialize)]
pub struct ChartView {
    /// The caption.
    pub title: String,
    /// The SVG markup ([`crate::chart::render`]: escaped, no script).
    pub svg: String,
}

/// This instance's sampling state and the stats charts drawn at the last sampled block.
/// Clones share it (the state's copy and the sampler task's).
#[derive(Debug, Clone, Default)]
pub struct History(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    last_recorded: Mutex<Option<u32>>,
    last_prune: Mutex<Option<Instant>>,
    stats: Mutex<Option<(u32, Arc<Vec<ChartView>>)>>,
}

impl History {
    /// Records `info` as the sample of its block unless this instance already did (the
    /// store ignores a height another instance recorded), and prunes when due. Returns
    /// whether a new height was seen here. A store error is logged and retried at the next
    /// reading.
    pub async fn record(&self, pool: &PoolService, info: &StakeInfo) -> bool {
        let now = pool.clock().now_unix();
        let Some(sample) = HistorySample::from_stake_info(info, now) else {
            return false;
        };
        if *lock(&self.0.last_recorded) == Some(sample.height) {
            return false;
        }
        let store = pool.store();
        match store.record_sample(&sample).await {
            Ok(_) => *lock(&self.0.last_recorded) = Some(sample.height),
            Err(e) => {
                tracing::warn!(error = %e, height = sample.height, "history sample not stored");
                return false;
            }
        }
        let due = lock(&self.0.last_prune).is_none_or(|at| at.elapsed() >= PRUNE_INTERVAL);
        if due {
            *lock(&self.0.last_prune) = Some(Instant::now());
            match history::prune(store.as_ref(), now, &Retention::default()).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(rows = n, "history thinned"),
                Err(e) => tracing::warn!(error = %e, "history prune failed"),
            }
        }
        true
    }

    /// The stats page's charts at `info`'s block: samples it (see [`History::record`]) and
    /// draws the last [`CHART_DAYS`] days, once per block.
    pub async fn stats_charts(&self, state: &AppState, info: &StakeInfo) -> Arc<Vec<ChartView>> {
        let fresh = self.record(&state.pool, info).await;
        let height = u32::try_from(info.block_height).unwrap_or(0);
        if !fresh {
            if let Some((h, c)) = lock(&self.0.stats).as_ref() {
                if *h == height {
                    return Arc::clone(c);
                }
            }
        }
        let now = state.now();
        let since = now.saturating_sub(i64::from(CHART_DAYS) * DAY);
        let samples = match state.pool.store().history_samples(since, i64::MAX).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "history unavailable");
                Vec::new()
            }
        };
        let charts = Arc::new(stats_charts(&samples));
        *lock(&self.0.stats) = Some((height, Arc::clone(&charts)));
        charts
    }
}

/// The chart texts (captions, legends, "No data yet") the catalogue translates: their keys.
const CHART_KEYS: &[&str] = &[
    "chart-live",
    "chart-votes",
    "chart-share",
    "chart-price",
    "chart-your-live",
    "chart-your-votes",
    "chart-no-data",
    "chart-series-pool-live",
    "chart-series-votes",
    "chart-series-misses",
    "chart-series-share",
];

/// `charts` in `lang`: the captions and the SVG's visible texts (each drawn in English,
/// and cached so, per block) replaced by their translations. Attributes are untouched.
pub fn localized(charts: &[ChartView], lang: Lang) -> Vec<ChartView> {
    if lang == Lang::En {
        return charts.to_vec();
    }
    let c = catalogue();
    charts
        .iter()
        .map(|v| {
            let mut svg = v.svg.clone();
            for key in CHART_KEYS {
                let en = chart::esc(&c.text(Lang::En, key, &[]));
                let there = chart::esc(&c.text(lang, key, &[]));
                svg = svg
                    .replace(&format!(">{en}<"), &format!(">{there}<"))
                    .replace(
                        &format!("<title>{en}</title>"),
                        &format!("<title>{there}</title>"),
                    );
            }
            ChartView {
                title: c.localize(lang, &v.title).into_owned(),
                svg,
            }
        })
        .collect()
}

fn view(c: &Chart) -> ChartView {
    ChartView {
        title: c.title.clone(),
        svg: chart::render(c),
    }
}

fn series(name: &str, points: Vec<(i64, f64)>) -> Series {
    Series {
        name: name.to_owned(),
        points,
    }
}

/// The stats page's charts from `samples`: live tickets, votes and misses per day, the
/// pool's share of the network's live tickets, and the ticket price.
pub fn stats_charts(samples: &[HistorySample]) -> Vec<ChartView> {
    let per = |f: fn(&HistorySample) -> f64| -> Vec<(i64, f64)> {
        samples.iter().map(|s| (s.time, f(s))).collect()
    };
    let days = history::per_day(samples);
    let share: Vec<(i64, f64)> = samples
        .iter()
        .filter_map(|s| s.pool_share_percent().map(|p| (s.time, p)))
        .collect();
    [
        Chart {
            title: "Live tickets".into(),
            style: Style::Line,
            series: vec![series("Pool live tickets", per(|s| f64::from(s.live)))],
        },
        Chart {
            title: "Votes and misses per day".into(),
            style: Style::Bars,
            series: vec![
                series(
                    "Votes",
                    days.iter().map(|d| (d.day, f64::from(d.votes))).collect(),
                ),
                series(
                    "Misses",
                    days.iter().map(|d| (d.day, f64::from(d.misses))).collect(),
                ),
            ],
        },
        Chart {
            title: "Pool share of the network's live tickets (%)".into(),
            style: Style::Line,
            series: vec![series("Pool share %", share)],
        },
        Chart {
            title: "Ticket price".into(),
            style: Style::Line,
            series: vec![series("Ticket price", per(|s| s.ticket_price))],
        },
    ]
    .iter()
    .map(view)
    .collect()
}

/// A user's charts from their tickets: live tickets at the end of each day, and votes and
/// misses per day, over the last [`CHART_DAYS`] days.
pub fn user_charts(
    tickets: &[UserTicket],
    tip_height: u32,
    now: i64,
    secs_per_block: u64,
) -> Vec<ChartView> {
    let days = history::user_per_day(tickets, tip_height, now, secs_per_block, CHART_DAYS);
    let pick = |f: fn(&history::UserDay) -> u32| -> Vec<(i64, f64)> {
        days.iter().map(|d| (d.day, f64::from(f(d)))).collect()
    };
    // Nothing to draw for a user without tickets: the "No data yet" chart says so.
    let any = !tickets.is_empty();
    let pts = |p: Vec<(i64, f64)>| if any { p } else { Vec::new() };
    [
        Chart {
            title: "Your live tickets".into(),
            style: Style::Line,
            series: vec![series("Live tickets", pts(pick(|d| d.live)))],
        },
        Chart {
            title: "Your votes and misses per day".into(),
            style: Style::Bars,
            series: vec![
                series("Votes", pts(pick(|d| d.votes))),
                series("Misses", pts(pick(|d| d.misses))),
            ],
        },
    ]
    .iter()
    .map(view)
    .collect()
}

/// A fairing that samples the history while the app serves ([`crate::serve`] attaches
/// it): every [`SAMPLE_INTERVAL`] it asks the tip and, when this instance has not sampled
/// that block, the stake info, so the history grows without visitors. A wallet error is
/// logged at debug (the stats page and `/status` report the wallets).
pub fn on_liftoff() -> AdHoc {
    AdHoc::on_liftoff("history sampler", |rocket| {
        Box::pin(async move {
            let Some(state) = rocket.state::<AppState>() else {
                tracing::error!("no AppState: the history is not sampled");
                return;
            };
            let (history, pool) = (state.history.clone(), state.pool.clone());
            let task = tokio::spawn(async move {
                let mut tick = tokio::time::interval(SAMPLE_INTERVAL);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    history.sample_once(&pool).await;
                }
            });
            state.background.adopt("history sampler", task);
        })
    })
}

impl History {
    /// One round of the sampler: the tip, and the stake info when the tip is a block this
    /// instance has not sampled. Each wallet call is bounded by [`SAMPLE_INTERVAL`].
    pub async fn sample_once(&self, pool: &PoolService) {
        let wallets = pool.wallets();
        let tip = match tokio::time::timeout(SAMPLE_INTERVAL, wallets.best_block()).await {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => return tracing::debug!(error = %e, "history: no tip"),
            Err(_) => return tracing::debug!("history: no tip in time"),
        };
        if *lock(&self.0.last_recorded) == Some(tip.height) {
            return;
        }
        match tokio::time::timeout(SAMPLE_INTERVAL, wallets.stake_info()).await {
            Ok(Ok(info)) => {
                self.record(pool, &info).await;
            }
            Ok(Err(e)) => tracing::debug!(error = %e, "history: no stake info"),
            Err(_) => tracing::debug!("history: no stake info in time"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_translated_and_english_is_untouched() {
        let en = user_charts(&[], 100, 1_700_000_000, 300);
        assert_eq!(localized(&en, Lang::En)[0].svg, en[0].svg);
        let zh = localized(&en, Lang::ZhCn);
        assert_eq!(zh[0].title, "您的有效选票");
        assert!(zh[0].svg.contains(">暂无数据<"), "{}", zh[0].svg);
        assert!(!zh[0].svg.contains("No data yet"), "{}", zh[0].svg);
        // Every chart text the code draws has a key.
        for key in CHART_KEYS {
            assert!(catalogue().has(key), "{key}");
        }
        for text in [
            "Live tickets",
            "Pool live tickets",
            "Votes",
            "Misses",
            "Pool share %",
        ] {
            assert_ne!(catalogue().localize(Lang::ZhCn, text), text);
        }
    }
    use crate::chart::tests::well_formed;

    fn sample(height: u32, time: i64, live: u32, voted: u32) -> HistorySample {
        HistorySample {
            height,
            time,
            live,
            voted,
            missed: 0,
            network_live: 100,
            ticket_price: 2.0,
        }
    }

    #[test]
    fn stats_charts_draw_each_series() {
        let samples: Vec<HistorySample> = (0..48)
            .map(|i| sample(i, i64::from(i) * 3600, 10 + i, i * 2))
            .collect();
        let charts = stats_charts(&samples);
        assert_eq!(charts.len(), 4);
        for c in &charts {
            well_formed(&c.svg).unwrap_or_else(|e| panic!("{}: {e}", c.title));
            assert!(!c.svg.contains("No data yet"), "{}", c.title);
        }
        assert!(charts[0].svg.contains("data-series=\"Pool live tickets\""));
        assert!(charts[1].svg.contains("data-series=\"Votes\""));
        assert!(charts[2].svg.contains("data-series=\"Pool share %\""));
        assert!(stats_charts(&[])
            .iter()
            .all(|c| c.svg.contains("No data yet")));
    }

    #[test]
    fn user_charts_without_tickets_say_so() {
        let c = user_charts(&[], 100, 10 * DAY, 150);
        assert_eq!(c.len(), 2);
        assert!(c.iter().all(|c| c.svg.contains("No data yet")));
    }
}
