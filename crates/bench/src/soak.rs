//! The soak's time series: the server sampled at a fixed interval while the events go through (its
//! resident set and the size of its store), and per interval the events published in it and the
//! event→receipt latency of those events, so that growth over time shows.

use std::{collections::HashMap, time::Duration};

use anyhow::Result;
use tokio::sync::watch;

use crate::{percentile, receiver::Receipt, server::Hookd};

/// The server at one moment.
pub struct Sample {
    rss: u64,
    db: u64,
}

/// One interval of a soak.
#[derive(serde::Serialize)]
pub struct Interval {
    /// When it started, in seconds after the first publish.
    pub start_s: u64,
    /// Events whose publish started in it.
    pub events: usize,
    /// Event→receipt latency of those events.
    pub e2e_p50_ms: f64,
    pub e2e_p99_ms: f64,
    /// The server's resident set (`VmRSS`, the largest of any node) and the size of its store, at the
    /// interval's end.
    pub rss_mib: f64,
    pub db_mib: f64,
}

/// Samples `hookd` every `every` until `done` turns true, and once more then. Sample `k` is taken
/// `(k + 1) × every` after the call, the end of interval `k` when the call is when publishing starts;
/// the last one is the state after everything arrived.
pub async fn sample(
    hookd: &Hookd,
    every: Duration,
    mut done: watch::Receiver<bool>,
) -> Result<Vec<Sample>> {
    let origin = tokio::time::Instant::now();
    let mut samples = Vec::new();
    for k in 1u32.. {
        tokio::select! {
            _ = tokio::time::sleep_until(origin + every * k) => samples.push(take(hookd).await?),
            // The sender gone also means done.
            _ = done.wait_for(|done| *done) => break,
        }
    }
    samples.push(take(hookd).await?);
    Ok(samples)
}

async fn take(hookd: &Hookd) -> Result<Sample> {
    Ok(Sample {
        rss: hookd.rss()?,
        db: hookd.store_bytes().await?,
    })
}

/// The intervals of a soak whose first publish was at `first_us`: each receipt goes into the interval in
/// which the publish of its event started (`starts`); the server's state is the sample at the interval's
/// end (the last one for intervals that end after it).
pub fn series(
    first_us: u64,
    every: Duration,
    starts: &HashMap<Box<str>, u64>,
    receipts: &[Receipt],
    samples: &[Sample],
) -> Vec<Interval> {
    let every_us = (every.as_micros() as u64).max(1);
    let bucket = |start: u64| (start.saturating_sub(first_us) / every_us) as usize;
    let mut events: Vec<usize> = Vec::new();
    for &start in starts.values() {
        let k = bucket(start);
        if events.len() <= k {
            events.resize(k + 1, 0);
        }
        events[k] += 1;
    }
    let mut e2e: Vec<Vec<u64>> = vec![Vec::new(); events.len()];
    for receipt in receipts {
        if let Some(&start) = starts.get(&receipt.event) {
            e2e[bucket(start)].push(receipt.at_us.saturating_sub(start));
        }
    }
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    let intervals = events.len().max(samples.len().saturating_sub(1));
    (0..intervals)
        .map(|k| {
            let mut latencies = e2e.get_mut(k).map(std::mem::take).unwrap_or_default();
            let state = samples.get(k).or(samples.last());
            Interval {
                start_s: k as u64 * every.as_secs(),
                events: events.get(k).copied().unwrap_or(0),
                e2e_p50_ms: percentile(&mut latencies, 0.50),
                e2e_p99_ms: percentile(&mut latencies, 0.99),
                rss_mib: state.map_or(f64::NAN, |s| mib(s.rss)),
                db_mib: state.map_or(f64::NAN, |s| mib(s.db)),
            }
        })
        .collect()
}

/// Prints one run's series as a table.
pub fn print(title: &str, series: &[Interval]) {
    println!("\n{title}\n");
    println!(
        "{:>8}{:>10}{:>10}{:>10}{:>10}{:>10}",
        "start s", "events", "e2e p50", "e2e p99", "RSS MiB", "DB MiB"
    );
    for i in series {
        println!(
            "{:>8}{:>10}{:>10.1}{:>10.1}{:>10.1}{:>10.1}",
            i.start_s, i.events, i.e2e_p50_ms, i.e2e_p99_ms, i.rss_mib, i.db_mib
        );
    }
}
