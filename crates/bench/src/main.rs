//! `hookd-bench`: hookd's performance benchmark.
//!
//! Starts the release `hookd` binary on a fresh store per scenario, a fast local receiver in this process,
//! publishes events through the native API from keep-alive connections and measures what arrives. A bare
//! client loop into the same receiver gives the machine's ceiling. Every scenario runs `--runs` times;
//! the report shows medians, as a table and (with `--json`) as JSON.

mod client;
mod receiver;
mod server;

use std::{
    collections::{BTreeMap, HashMap},
    path::PathBuf,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use clap::Parser;
use hyper::{Method, StatusCode};
use serde_json::json;

use client::Conn;
use receiver::{Kind, Receipt, Receiver};
use server::{Backend, Hookd, ADMIN_TOKEN};

#[derive(Parser)]
#[command(
    name = "hookd-bench",
    about = "Measures hookd against a local receiver and a bare-client ceiling"
)]
struct Args {
    /// The hookd binary to run (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/hookd")]
    hookd: PathBuf,
    /// Events per throughput scenario.
    #[arg(long, default_value_t = 50_000)]
    events: usize,
    /// Events of the fan-out scenario (its slow receivers take 200 ms per callback).
    #[arg(long, default_value_t = 10_000)]
    fanout_events: usize,
    /// Concurrent publishers (and bare-client connections).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Runs of every scenario; the report shows medians.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "sqlite,postgres"
    )]
    backends: Vec<Backend>,
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "baseline,e1,e10,steady,fanout"
    )]
    scenarios: Vec<Scenario>,
    /// A PostgreSQL server where a fresh database is made for every run.
    #[arg(
        long,
        env = "HOOKD_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    database_url: String,
    /// Events per second of the steady scenario (E = 1).
    #[arg(long, default_value_t = 1_000)]
    steady_rate: u32,
    #[arg(long, default_value_t = 10)]
    steady_secs: u64,
    /// How long the bare client loop runs.
    #[arg(long, default_value_t = 5)]
    baseline_secs: u64,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// hookd processes sharing one PostgreSQL database (PostgreSQL only); publishers spread over them in
    /// turn. CPU is their sum, peak RSS the largest of any one.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum Scenario {
    /// The bare keep-alive client into the receiver: the ceiling.
    Baseline,
    /// N events, one subscription.
    E1,
    /// N events, ten subscriptions.
    E10,
    /// E1 with the app validating every payload against a realistic schema (`BENCH_SCHEMA`, `enforce`).
    E1Schema,
    /// E10 with a payload filter on every subscription (`BENCH_FILTER`, which every event matches).
    E10Filter,
    /// A steady rate of events (E = 1) for event→receipt latency.
    Steady,
    /// Ten subscriptions: five slow (200 ms), one failing every first attempt, four healthy.
    Fanout,
}

/// One run's figures by name.
type Figures = BTreeMap<&'static str, f64>;

/// The schema of the events' payload (`{"n", "data": PAYLOAD}`) that `e1-schema` validates against:
/// required fields, types, patterns, enums and bounds, as a team would write for an order event.
fn bench_schema() -> serde_json::Value {
    let text = |pattern: &str| json!({"type": "string", "pattern": pattern});
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["n", "data"],
        "properties": {
            "n": {"type": "integer", "minimum": 0},
            "data": {
                "type": "object",
                "required": ["order", "customer", "shipping"],
                "properties": {
                    "order": {
                        "type": "object",
                        "required": ["id", "total", "currency", "items"],
                        "properties": {
                            "id": text("^ord_[0-9A-Z]{14}$"),
                            "total": text("^[0-9]+\\.[0-9]{2}$"),
                            "currency": {"enum": ["EUR", "USD", "GBP", "JPY"]},
                            "items": {"type": "integer", "minimum": 1, "maximum": 1000}
                        },
                        "additionalProperties": false
                    },
                    "customer": {
                        "type": "object",
                        "required": ["id"],
                        "properties": {"id": text("^cus_"), "tier": {"enum": ["basic", "silver", "gold"]}}
                    },
                    "shipping": {
                        "type": "object",
                        "properties": {
                            "method": {"enum": ["standard", "express"]},
                            "country": {"type": "string", "minLength": 2, "maxLength": 2}
                        }
                    }
                }
            }
        }
    })
}

/// The payload filter of every `e10-filter` subscription: three conditions the events all meet.
fn bench_filter() -> serde_json::Value {
    json!({
        "data.order.currency": {"$in": ["EUR", "USD"]},
        "data.shipping.country": "DE",
        "data.customer.tier": {"$ne": "blocked"}
    })
}

/// An HTTP body the size of a small real event.
const PAYLOAD: &str = r#"{"order":{"id":"ord_01JD8Q6Y3M4K2Z","total":"129.90","currency":"EUR","items":3},"customer":{"id":"cus_5K2Z8Q","tier":"gold"},"shipping":{"method":"express","country":"DE"}}"#;

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if args.nodes == 0 {
        bail!("--nodes must be at least 1");
    }
    if args.nodes > 1 && args.backends.contains(&Backend::Sqlite) {
        bail!(
            "--nodes {} needs `--backends postgres`: SQLite serves one process",
            args.nodes
        );
    }
    if args.scenarios.iter().any(|s| *s != Scenario::Baseline) && !args.hookd.exists() {
        bail!(
            "{} does not exist: build it first with `cargo build --release`",
            args.hookd.display()
        );
    }
    let clock = Instant::now();
    let receiver = Receiver::start(clock).await?;
    let mut results: BTreeMap<(Scenario, Option<Backend>), Vec<Figures>> = BTreeMap::new();
    for run in 1..=args.runs {
        for &scenario in &args.scenarios {
            let backends: Vec<Option<Backend>> = match scenario {
                Scenario::Baseline => vec![None],
                _ => args.backends.iter().copied().map(Some).collect(),
            };
            for backend in backends {
                let label = backend.map_or("-", Backend::name);
                eprintln!("run {run}/{}: {scenario:?} on {label}", args.runs);
                let figures = match backend {
                    None => baseline(&args, &receiver).await?,
                    Some(backend) => {
                        let hookd =
                            Hookd::start(&args.hookd, backend, &args.database_url, args.nodes)
                                .await?;
                        let outcome = measure(&args, scenario, &hookd, &receiver, clock).await;
                        receiver.take();
                        hookd.stop().await?;
                        outcome?
                    }
                };
                eprintln!("  {}", one_line(&figures));
                results
                    .entry((scenario, backend))
                    .or_default()
                    .push(figures);
            }
        }
    }
    let medians: BTreeMap<(Scenario, Option<Backend>), Figures> = results
        .iter()
        .map(|(key, runs)| (*key, median(runs)))
        .collect();
    let medians = with_ratios(medians);
    print_table(&args, &medians);
    if let Some(path) = &args.json {
        let report = json!({
            "machine": machine(),
            "command": std::env::args().collect::<Vec<_>>().join(" "),
            "events": args.events,
            "fanout_events": args.fanout_events,
            "concurrency": args.concurrency,
            "nodes": args.nodes,
            "runs": args.runs,
            "results": medians.iter().map(|((scenario, backend), m)| json!({
                "scenario": scenario,
                "backend": backend,
                "median": m,
                "runs": results[&(*scenario, *backend)],
            })).collect::<Vec<_>>(),
        });
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// The bare client: `concurrency` keep-alive connections posting into the receiver for `baseline_secs`.
async fn baseline(args: &Args, receiver: &Receiver) -> Result<Figures> {
    let deadline = Instant::now() + Duration::from_secs(args.baseline_secs);
    let sent = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (addr, sent) = (receiver.addr, sent.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let body = Bytes::from_static(PAYLOAD.as_bytes());
            while Instant::now() < deadline {
                let n = sent.fetch_add(1, Ordering::Relaxed);
                let id = format!("msg_{n}");
                let (status, _) = conn
                    .request(Method::POST, "/ok/0", &[("webhook-id", &id)], body.clone())
                    .await?;
                if status != StatusCode::OK {
                    bail!("the receiver answered {status}");
                }
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let done = receiver.take().len();
    Ok(Figures::from([("requests_per_s", done as f64 / elapsed)]))
}

/// One scenario against a running hookd.
async fn measure(
    args: &Args,
    scenario: Scenario,
    hookd: &Hookd,
    receiver: &Receiver,
    clock: Instant,
) -> Result<Figures> {
    let base = format!("http://{}", receiver.addr);
    let urls: Vec<String> = match scenario {
        Scenario::E1 | Scenario::E1Schema | Scenario::Steady => vec![format!("{base}/ok/0")],
        Scenario::E10 | Scenario::E10Filter => (0..10).map(|i| format!("{base}/ok/{i}")).collect(),
        Scenario::Fanout => (0..10)
            .map(|i| match i {
                0..5 => format!("{base}/slow/{i}"),
                5 => format!("{base}/fail/{i}"),
                _ => format!("{base}/ok/{i}"),
            })
            .collect(),
        Scenario::Baseline => unreachable!("the baseline runs no hookd"),
    };
    let token = setup(hookd, &urls, scenario).await?;
    let (events, rate) = match scenario {
        Scenario::Steady => (
            (u64::from(args.steady_rate) * args.steady_secs) as usize,
            Some(f64::from(args.steady_rate)),
        ),
        Scenario::Fanout => (args.fanout_events, None),
        _ => (args.events, None),
    };
    let healthy_subs = urls.iter().filter(|u| u.contains("/ok/")).count();
    let cpu_before = hookd.cpu_seconds()?;
    let published = publish(hookd, &token, events, args.concurrency, rate, clock).await?;
    let expected = events * healthy_subs;
    let arrived = wait_for(receiver, Kind::Ok, expected).await;
    let cpu = hookd.cpu_seconds()? - cpu_before;
    let (slow, failing) = (receiver.count(Kind::Slow), receiver.count(Kind::Fail));
    let receipts: Vec<Receipt> = receiver
        .take()
        .into_iter()
        .filter(|r| r.kind == Kind::Ok)
        .collect();
    if arrived < expected {
        bail!("only {arrived} of {expected} callbacks arrived (nothing more for 30 s)");
    }
    let last_us = receipts
        .iter()
        .map(|r| r.at_us)
        .max()
        .unwrap_or(published.first_us);
    let span_s = (last_us.saturating_sub(published.first_us)) as f64 / 1e6;
    let publish_s = (published.last_us - published.first_us) as f64 / 1e6;
    let mut e2e: Vec<u64> = receipts
        .iter()
        .filter_map(|r| {
            published
                .starts
                .get(&r.event)
                .map(|s| r.at_us.saturating_sub(*s))
        })
        .collect();
    let mut publish_latency = published.latencies_us;
    let mut figures = Figures::from([
        ("accepted_per_s", events as f64 / publish_s),
        ("deliveries_per_s", receipts.len() as f64 / span_s),
        ("publish_p50_ms", percentile(&mut publish_latency, 0.50)),
        ("publish_p99_ms", percentile(&mut publish_latency, 0.99)),
        ("e2e_p50_ms", percentile(&mut e2e, 0.50)),
        ("e2e_p99_ms", percentile(&mut e2e, 0.99)),
        ("peak_rss_mib", hookd.peak_rss()? as f64 / (1024.0 * 1024.0)),
        ("cpu_s_per_1000", cpu / (receipts.len() as f64 / 1000.0)),
    ]);
    if scenario == Scenario::Fanout {
        figures.insert(
            "healthy_per_sub_per_s",
            receipts.len() as f64 / healthy_subs as f64 / span_s,
        );
        figures.insert("slow_received", slow as f64);
        figures.insert("failing_received", failing as f64);
    }
    Ok(figures)
}

/// An account, a key, the app `bench` and one subscription per URL (with `e1-schema`, the app enforces a
/// schema; with `e10-filter`, every subscription has a payload filter); returns the key's token.
async fn setup(hookd: &Hookd, urls: &[String], scenario: Scenario) -> Result<String> {
    let mut conn = Conn::open(hookd.addrs()[0]).await?;
    let created = StatusCode::CREATED;
    let account = conn
        .json(
            Method::POST,
            "/api/v1/accounts",
            ADMIN_TOKEN,
            json!({ "name": "bench" }),
            created,
        )
        .await?;
    let account = account["id"].as_str().context("account without id")?;
    let key = conn
        .json(
            Method::POST,
            &format!("/api/v1/accounts/{account}/keys"),
            ADMIN_TOKEN,
            json!({ "policy": ["*"] }),
            created,
        )
        .await?;
    let token = key["token"]
        .as_str()
        .context("key without token")?
        .to_owned();
    // Settings only where a scenario needs them, so that the plain scenarios run against older builds too.
    let mut app = json!({ "id": "bench" });
    if scenario == Scenario::E1Schema {
        app["schema_validation"] = json!("enforce");
    }
    conn.json(Method::POST, "/api/v1/apps", &token, app, created)
        .await?;
    if scenario == Scenario::E1Schema {
        conn.json(
            Method::POST,
            "/api/v1/apps/bench/event-types",
            &token,
            json!({ "name": "order.created", "schema": bench_schema() }),
            created,
        )
        .await?;
    }
    for url in urls {
        let mut subscription = json!({ "url": url });
        if scenario == Scenario::E10Filter {
            subscription["filter"] = bench_filter();
        }
        conn.json(
            Method::POST,
            "/api/v1/apps/bench/subscriptions",
            &token,
            subscription,
            created,
        )
        .await?;
    }
    Ok(token)
}

struct Published {
    /// When each event's publish request was sent (µs on the benchmark clock), by event id.
    starts: HashMap<Box<str>, u64>,
    latencies_us: Vec<u64>,
    first_us: u64,
    last_us: u64,
}

/// Publishes `events` from `concurrency` connections, as fast as they go or at `rate` events/s.
async fn publish(
    hookd: &Hookd,
    token: &str,
    events: usize,
    concurrency: usize,
    rate: Option<f64>,
    clock: Instant,
) -> Result<Published> {
    let next = Arc::new(AtomicUsize::new(0));
    let auth: Arc<str> = format!("Bearer {token}").into();
    let t0 = tokio::time::Instant::now();
    let first_us = clock.elapsed().as_micros() as u64;
    let mut tasks = Vec::new();
    let addrs = hookd.addrs();
    for publisher in 0..concurrency {
        let (next, auth, addr) = (next.clone(), auth.clone(), addrs[publisher % addrs.len()]);
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let mut sent = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= events {
                    break;
                }
                if let Some(rate) = rate {
                    tokio::time::sleep_until(t0 + Duration::from_secs_f64(n as f64 / rate)).await;
                }
                let body =
                    format!(r#"{{"type":"order.created","payload":{{"n":{n},"data":{PAYLOAD}}}}}"#);
                let start = clock.elapsed().as_micros() as u64;
                let (status, answer) = conn
                    .request(
                        Method::POST,
                        "/api/v1/apps/bench/events",
                        &[("authorization", &auth)],
                        Bytes::from(body),
                    )
                    .await?;
                let latency = clock.elapsed().as_micros() as u64 - start;
                if status != StatusCode::CREATED {
                    bail!(
                        "publish answered {status}: {}",
                        String::from_utf8_lossy(&answer)
                    );
                }
                let id = serde_json::from_slice::<serde_json::Value>(&answer)?["id"]
                    .as_str()
                    .context("published event without id")?
                    .into();
                sent.push((id, start, latency));
            }
            anyhow::Ok(sent)
        }));
    }
    let mut published = Published {
        starts: HashMap::with_capacity(events),
        latencies_us: Vec::with_capacity(events),
        first_us,
        last_us: first_us,
    };
    for task in tasks {
        for (id, start, latency) in task.await?? {
            published.last_us = published.last_us.max(start + latency);
            published.starts.insert(id, start);
            published.latencies_us.push(latency);
        }
    }
    Ok(published)
}

/// Waits until `target` callbacks of `kind` arrived, or none arrived for 30 s; returns how many did.
async fn wait_for(receiver: &Receiver, kind: Kind, target: usize) -> usize {
    let (mut last, mut grew) = (0, Instant::now());
    loop {
        let now = receiver.count(kind);
        if now >= target || grew.elapsed() > Duration::from_secs(30) {
            return now;
        }
        if now > last {
            (last, grew) = (now, Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The `q` quantile of `values` (µs), in milliseconds.
fn percentile(values: &mut [u64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_unstable();
    let rank = ((values.len() as f64 * q).ceil() as usize).clamp(1, values.len());
    values[rank - 1] as f64 / 1000.0
}

/// Per figure, the median over runs.
fn median(runs: &[Figures]) -> Figures {
    let mut out = Figures::new();
    for name in runs.iter().flat_map(|r| r.keys()) {
        let mut values: Vec<f64> = runs.iter().filter_map(|r| r.get(name).copied()).collect();
        values.sort_by(f64::total_cmp);
        out.insert(name, values[values.len() / 2]);
    }
    out
}

/// Adds each run's deliveries/s as a share of the bare-client ceiling, the fan-out's healthy
/// per-subscription rate as a share of the all-healthy E = 10 one, and the deliveries/s of `e1-schema` and
/// `e10-filter` as a share of `e1` and `e10` on the same backend.
fn with_ratios(
    mut medians: BTreeMap<(Scenario, Option<Backend>), Figures>,
) -> BTreeMap<(Scenario, Option<Backend>), Figures> {
    let ceiling = medians
        .get(&(Scenario::Baseline, None))
        .and_then(|m| m.get("requests_per_s").copied());
    let all_healthy: HashMap<Backend, f64> = medians
        .iter()
        .filter(|((s, _), _)| *s == Scenario::E10)
        .filter_map(|((_, b), m)| Some(((*b)?, m.get("deliveries_per_s")? / 10.0)))
        .collect();
    let plain: BTreeMap<(Scenario, Backend), f64> = medians
        .iter()
        .filter(|((s, _), _)| matches!(s, Scenario::E1 | Scenario::E10))
        .filter_map(|((s, b), m)| Some(((*s, (*b)?), *m.get("deliveries_per_s")?)))
        .collect();
    for ((scenario, backend), figures) in medians.iter_mut() {
        let counterpart = match scenario {
            Scenario::E1Schema => Some(Scenario::E1),
            Scenario::E10Filter => Some(Scenario::E10),
            _ => None,
        };
        if let (Some(counterpart), Some(backend), Some(rate)) = (
            counterpart,
            backend,
            figures.get("deliveries_per_s").copied(),
        ) {
            if let Some(reference) = plain.get(&(counterpart, *backend)) {
                figures.insert("vs_plain", rate / reference);
            }
        }
        if let (Some(ceiling), Some(rate)) = (ceiling, figures.get("deliveries_per_s").copied()) {
            if matches!(
                scenario,
                Scenario::E1 | Scenario::E10 | Scenario::E1Schema | Scenario::E10Filter
            ) {
                figures.insert("ratio_to_ceiling", rate / ceiling);
            }
        }
        if let (Scenario::Fanout, Some(backend)) = (scenario, backend) {
            if let (Some(healthy), Some(reference)) = (
                figures.get("healthy_per_sub_per_s").copied(),
                all_healthy.get(backend),
            ) {
                figures.insert("healthy_vs_all_healthy", healthy / reference);
            }
        }
    }
    medians
}

fn one_line(figures: &Figures) -> String {
    figures
        .iter()
        .map(|(k, v)| format!("{k}={v:.2}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn print_table(args: &Args, medians: &BTreeMap<(Scenario, Option<Backend>), Figures>) {
    println!(
        "\nhookd-bench: medians of {} runs, {} events ({} fan-out), {} publishers, {} hookd node{}\n",
        args.runs,
        args.events,
        args.fanout_events,
        args.concurrency,
        args.nodes,
        if args.nodes == 1 { "" } else { "s" }
    );
    let columns: [(&str, &str, usize); 12] = [
        ("events/s", "accepted_per_s", 0),
        ("deliv/s", "deliveries_per_s", 0),
        ("ratio", "ratio_to_ceiling", 3),
        ("vs plain", "vs_plain", 3),
        ("pub p50", "publish_p50_ms", 1),
        ("pub p99", "publish_p99_ms", 1),
        ("e2e p50", "e2e_p50_ms", 1),
        ("e2e p99", "e2e_p99_ms", 1),
        ("RSS MiB", "peak_rss_mib", 0),
        ("CPU s/1k", "cpu_s_per_1000", 3),
        ("healthy", "healthy_vs_all_healthy", 2),
        ("req/s", "requests_per_s", 0),
    ];
    print!("{:<10}{:<10}", "scenario", "backend");
    for (title, _, _) in &columns {
        print!("{title:>10}");
    }
    println!();
    for ((scenario, backend), figures) in medians {
        print!(
            "{:<10}{:<10}",
            format!("{scenario:?}").to_lowercase(),
            backend.map_or("-", Backend::name)
        );
        for (_, name, digits) in &columns {
            match figures.get(name) {
                Some(v) => print!("{:>10.*}", digits, v),
                None => print!("{:>10}", "-"),
            }
        }
        println!();
    }
    println!("\nlatencies in ms; ratio = deliveries/s ÷ the bare client's requests/s; healthy = fan-out's");
    println!("per-subscription rate to its healthy receivers ÷ the all-healthy E=10 rate; vs plain = e1schema's");
    println!("deliveries/s ÷ e1's, e10filter's ÷ e10's, same backend");
}

/// What the figures were measured on.
fn machine() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_owned());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .next()
        .map(str::to_owned);
    json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu_model": model,
        "memory": memory,
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_owned()),
    })
}
