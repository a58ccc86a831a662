//! The history charts: the stats page samples the stake info of each block into the store
//! and draws the stored history as inline SVG; the tickets page draws the user's own.

use super::common;

use common::*;
use hcpool_core::backend::{HistorySample, HistoryStore};
use hcpool_core::history::DAY;
use rocket::http::Status;

fn svgs(page: &str) -> Vec<&str> {
    page.split("<svg ")
        .skip(1)
        .map(|s| s.split("</svg>").next().unwrap_or(""))
        .collect()
}

#[rocket::async_test]
async fn stats_page_samples_each_block_and_draws_the_history() {
    let app = app().await;
    let now = app.state().now();
    // Blocks the other instances (or earlier visits) sampled over the last three days.
    for i in 0..12u32 {
        let sample = HistorySample {
            height: 12_000 + i,
            time: now - 3 * DAY + i64::from(i) * 6 * 3600,
            live: 30 + i,
            voted: 40 + i,
            missed: i / 4,
            network_live: 1024,
            ticket_price: 2.0 + f64::from(i) / 10.0,
        };
        assert!(app.store.record_sample(&sample).await.unwrap());
    }
    let (s, page) = app.get("/stats").await;
    assert_eq!(s, Status::Ok);
    // The page sampled the block it showed (the fake wallet's 12345), once.
    let stored = app.store.history_samples(i64::MIN, i64::MAX).await.unwrap();
    assert_eq!(stored.len(), 13);
    let last = stored.last().unwrap();
    assert_eq!((last.height, last.live, last.voted), (12_345, 40, 50));
    let (_, again) = app.get("/stats").await;
    assert_eq!(
        app.store
            .history_samples(i64::MIN, i64::MAX)
            .await
            .unwrap()
            .len(),
        13,
        "the same block is not sampled twice"
    );
    assert_eq!(svgs(&again).len(), 4);

    let charts = svgs(&page);
    assert_eq!(charts.len(), 4, "{page}");
    for (svg, series) in
        charts
            .iter()
            .zip(["Pool live tickets", "Votes", "Pool share %", "Ticket price"])
    {
        assert!(
            svg.contains(&format!("data-series=\"{series}\"")),
            "{series}: {svg}"
        );
        assert!(!svg.contains("No data yet"), "{series}");
        assert!(!svg.contains("NaN") && !svg.contains("<script"), "{series}");
    }
    // Lines through the 13 samples; per-day bars of votes and misses.
    assert_eq!(charts[0].matches("<polyline").count(), 1);
    let points = charts[0]
        .split("points=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    assert_eq!(points.split(' ').count(), 13);
    assert!(charts[1].contains("data-series=\"Misses\""));
    assert!(charts[1].matches("<rect").count() > 4);
    // The pool's share: 40 of 1024 live tickets ≈ 3.9 %: the axis reaches 4 or 5.
    assert!(
        charts[2].contains(">4<") || charts[2].contains(">5<"),
        "{}",
        charts[2]
    );
}

#[rocket::async_test]
async fn stats_charts_of_a_first_block_draw_a_point() {
    let app = app().await;
    let (s, page) = app.get("/stats").await;
    assert_eq!(s, Status::Ok);
    let charts = svgs(&page);
    assert_eq!(charts.len(), 4);
    // One sample: a point for the lines, no day before it for the per-day bars.
    assert!(charts[0].contains("<circle"), "{}", charts[0]);
}

#[rocket::async_test]
async fn tickets_page_draws_the_users_history() {
    let app = app().await;
    let (_, token) = app.user("charts@example.com", "password1").await;
    app.sign_in("charts@example.com", "password1").await;
    app.api_register(&token).await;
    let (s, page) = app.get("/tickets").await;
    assert_eq!(s, Status::Ok, "{page}");
    let charts = svgs(&page);
    assert_eq!(charts.len(), 2, "{page}");
    assert!(charts[0].contains("Your live tickets"));
    assert!(charts[0].contains("data-series=\"Live tickets\""));
    assert!(!charts[0].contains("No data yet"), "{}", charts[0]);
    assert!(charts[1].contains("data-series=\"Votes\""));
}
