//! `hookd-bench`: hookd's performance benchmark.
//!
//! Starts the release `hookd` binary on a fresh store per scenario (optionally several nodes, each held to
//! a share of a CPU), a fast local receiver in this process, sets the scenario up through the native API
//! (`plan`), publishes events from keep-alive connections and measures what arrives; nothing is measured
//! during setup. A bare client loop into the same receiver gives the machine's ceiling. Every scenario
//! runs `--runs` times; the report shows medians, as a table and (with `--json`) as JSON, and for a soak
//! each run's time series (`soak`).

mod cgroup;
mod client;
mod plan;
mod receiver;
mod server;
mod soak;

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
use clap::{Parser, ValueEnum};
use hyper::{Method, StatusCode};
use serde_json::json;

use client::Conn;
use plan::{Events, Plan, PAYLOAD};
use receiver::{Kind, Receiver};
use server::{Backend, Hookd};

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
    /// Events of single scenarios, as `SCENARIO=N` pairs, instead of what `--events` (or `--fanout-events`,
    /// `--soak-events`, steady's rate × duration) says. The default keeps `p100k` to 5 000 events: 50 000
    /// payloads of 100 KB would push 5 GB through the loopback each way. Giving the option replaces the
    /// default, so name `p100k` again to keep it small.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "SCENARIO=N",
        value_parser = scenario_events,
        default_value = "p100k=5000"
    )]
    scenario_events: Vec<(Scenario, usize)>,
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
    /// The scenarios to run; the ones not in the default are opt-in.
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
    /// How long the steady scenario publishes.
    #[arg(long, default_value_t = 10)]
    steady_secs: u64,
    /// Events of the soak (E = 1).
    #[arg(long, default_value_t = 1_000_000)]
    soak_events: usize,
    /// Events per second of the soak.
    #[arg(long, default_value_t = 2_000)]
    soak_rate: u32,
    /// Seconds between the soak's samples of the server (RSS, store size) and the intervals its latency is
    /// reported per.
    #[arg(long, default_value_t = 60)]
    soak_interval_secs: u64,
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
    /// Holds every hookd node to this percentage of one CPU (PostgreSQL only), each in a cgroup of its own
    /// (cgroup v1 `cpu` or v2; needs root), so that the nodes, not the machine, are the bottleneck of a
    /// scale-out run. The benchmark, its receiver and PostgreSQL are not held.
    #[arg(long, value_name = "PERCENT")]
    node_cpu: Option<u32>,
}

/// The scenarios, in the order of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// The bare keep-alive client into the receiver: the ceiling.
    Baseline,
    /// N events, one subscription.
    E1,
    /// N events, ten subscriptions.
    E10,
    /// N events, a hundred subscriptions.
    E100,
    /// E1 with the app validating every payload against a realistic schema (`bench_schema`, `enforce`).
    E1Schema,
    /// E10 with a payload filter on every subscription (`bench_filter`, which every event matches).
    E10Filter,
    /// E1 with payloads of about 10 KB.
    #[value(name = "p10k")]
    P10k,
    /// E1 with payloads of about 100 KB (5 000 events unless `--scenario-events` says otherwise).
    #[value(name = "p100k")]
    P100k,
    /// One app with 1 000 subscriptions, each to one of 100 event types: every event matches ten.
    #[value(name = "subs1k")]
    Subs1k,
    /// One app with 10 000 subscriptions, each to one of 1 000 event types: every event matches ten.
    #[value(name = "subs10k")]
    Subs10k,
    /// 10 000 accounts with an app and a subscription each; events go round-robin over the accounts,
    /// published with the admin token naming the account (`Hookd-Account`).
    #[value(name = "accounts10k")]
    Accounts10k,
    /// A steady rate of events (E = 1) for event→receipt latency.
    Steady,
    /// A long steady rate (E = 1; `--soak-*`), sampled over time: latency per interval, RSS, store size.
    Soak,
    /// Ten subscriptions: five slow (200 ms), one failing every first attempt, four healthy.
    Fanout,
    /// Twenty healthy subscriptions: the reference of `slow`.
    E20,
    /// Twenty subscriptions: 18 healthy, one answering after 2 s, one never in time (timeout 1 s).
    Slow,
}

/// One run's figures by name.
type Figures = BTreeMap<&'static str, f64>;

/// A row of the report: a scenario on a backend (none for the baseline).
type Key = (Scenario, Option<Backend>);

/// One run's outcome: its figures, and for a soak its intervals.
#[derive(serde::Serialize)]
struct Run {
    figures: Figures,
    #[serde(skip_serializing_if = "Option::is_none")]
    series: Option<Vec<soak::Interval>>,
}

/// Parses one `SCENARIO=N` of `--scenario-events`.
fn scenario_events(pair: &str) -> Result<(Scenario, usize), String> {
    let (name, events) = pair
        .split_once('=')
        .ok_or_else(|| format!("`{pair}` is not SCENARIO=N"))?;
    let scenario = Scenario::from_str(name.trim(), false)
        .map_err(|_| format!("`{name}` is not a scenario (see --scenarios)"))?;
    if scenario == Scenario::Baseline {
        return Err("the baseline publishes no events".into());
    }
    let events: usize = events
        .trim()
        .parse()
        .map_err(|e| format!("`{events}` is not a number of events: {e}"))?;
    if events == 0 {
        return Err(format!("{name} needs at least one event"));
    }
    Ok((scenario, events))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    validate(&args)?;
    if args.scenarios.iter().any(|s| *s != Scenario::Baseline) && !args.hookd.exists() {
        bail!(
            "{} does not exist: build it first with `cargo build --release`",
            args.hookd.display()
        );
    }
    let autovacuum = if args.backends.contains(&Backend::Postgres) {
        let on = server::autovacuum(&args.database_url).await?;
        if !on {
            eprintln!(
                "warning: autovacuum is off on this PostgreSQL server; figures on it are not those of a default \
                 installation (statistics of fast-growing tables are gathered only by hookd itself)"
            );
        }
        Some(on)
    } else {
        None
    };
    let clock = Instant::now();
    let receiver = Receiver::start(clock).await?;
    let mut results: BTreeMap<Key, Vec<Run>> = BTreeMap::new();
    for run in 1..=args.runs {
        for &scenario in &args.scenarios {
            let backends: Vec<Option<Backend>> = match scenario {
                Scenario::Baseline => vec![None],
                _ => args.backends.iter().copied().map(Some).collect(),
            };
            for backend in backends {
                let label = backend.map_or("-", Backend::name);
                eprintln!("run {run}/{}: {scenario:?} on {label}", args.runs);
                let outcome = match backend {
                    None => Run {
                        figures: baseline(&args, &receiver).await?,
                        series: None,
                    },
                    Some(backend) => {
                        let hookd = Hookd::start(
                            &args.hookd,
                            backend,
                            &args.database_url,
                            args.nodes,
                            args.node_cpu,
                        )
                        .await?;
                        let outcome = measure(&args, scenario, &hookd, &receiver, clock).await;
                        receiver.take();
                        hookd.stop().await?;
                        outcome?
                    }
                };
                eprintln!("  {}", one_line(&outcome.figures));
                results
                    .entry((scenario, backend))
                    .or_default()
                    .push(outcome);
            }
        }
    }
    let medians: BTreeMap<Key, Figures> = results
        .iter()
        .map(|(key, runs)| (*key, median(runs)))
        .collect();
    let medians = with_ratios(medians);
    print_table(&args, &medians);
    print_series(&args, &results);
    if let Some(path) = &args.json {
        let report = json!({
            "machine": machine(),
            "postgres_autovacuum": autovacuum,
            "command": std::env::args().collect::<Vec<_>>().join(" "),
            "events": args.events,
            "fanout_events": args.fanout_events,
            "scenario_events": args.scenario_events.iter()
                .map(|(s, n)| (format!("{s:?}").to_lowercase(), *n))
                .collect::<BTreeMap<_, _>>(),
            "soak_events": events_of(&args, Scenario::Soak),
            "soak_rate": args.soak_rate,
            "soak_interval_secs": args.soak_interval_secs,
            "concurrency": args.concurrency,
            "nodes": args.nodes,
            "node_cpu_percent": args.node_cpu,
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

/// Rejects options that cannot make a run, before anything starts.
fn validate(args: &Args) -> Result<()> {
    let with_sqlite = args.backends.contains(&Backend::Sqlite);
    if args.nodes == 0 {
        bail!("--nodes must be at least 1");
    }
    if args.nodes > 1 && with_sqlite {
        bail!(
            "--nodes {} needs `--backends postgres`: SQLite serves one process",
            args.nodes
        );
    }
    if let Some(percent) = args.node_cpu {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        if percent == 0 || percent as usize > 100 * cpus {
            bail!(
                "--node-cpu {percent}: a node's share must be 1 to {} percent of one CPU ({cpus} CPUs here)",
                100 * cpus
            );
        }
        if with_sqlite {
            bail!("--node-cpu needs `--backends postgres`: it is for scale-out runs, which need PostgreSQL");
        }
    }
    for (name, value) in [
        ("--events", args.events),
        ("--fanout-events", args.fanout_events),
        ("--soak-events", args.soak_events),
        ("--concurrency", args.concurrency),
    ] {
        if value == 0 {
            bail!("{name} must be at least 1");
        }
    }
    for (name, value) in [
        ("--steady-rate", u64::from(args.steady_rate)),
        ("--steady-secs", args.steady_secs),
        ("--soak-rate", u64::from(args.soak_rate)),
        ("--soak-interval-secs", args.soak_interval_secs),
    ] {
        if value == 0 {
            bail!("{name} must be at least 1");
        }
    }
    Ok(())
}

/// How many events `scenario` publishes.
fn events_of(args: &Args, scenario: Scenario) -> usize {
    let chosen = args
        .scenario_events
        .iter()
        .rev()
        .find(|(s, _)| *s == scenario);
    match (chosen, scenario) {
        (Some((_, events)), _) => *events,
        (None, Scenario::Steady) => (u64::from(args.steady_rate) * args.steady_secs) as usize,
        (None, Scenario::Soak) => args.soak_events,
        (None, Scenario::Fanout) => args.fanout_events,
        (None, _) => args.events,
    }
}

/// The bare client: `concurrency` keep-alive connections posting into the receiver for `baseline_secs`.
async fn baseline(args: &Args, receiver: &Receiver) -> Result<Figures> {
    // Room for a million requests (seconds of them), so that the receiver's list seldom grows meanwhile.
    receiver.reserve(1 << 20);
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

/// One scenario against a running hookd: sets it up, then measures from the first publish until every
/// expected callback arrived. A soak samples the server meanwhile.
async fn measure(
    args: &Args,
    scenario: Scenario,
    hookd: &Hookd,
    receiver: &Receiver,
    clock: Instant,
) -> Result<Run> {
    let plan = Plan::new(scenario, receiver.addr);
    let setup = Instant::now();
    let source = plan.setup(hookd, args.concurrency).await?;
    eprintln!("  set up in {:.1} s", setup.elapsed().as_secs_f64());
    let events = events_of(args, scenario);
    let rate = match scenario {
        Scenario::Steady => Some(f64::from(args.steady_rate)),
        Scenario::Soak => Some(f64::from(args.soak_rate)),
        _ => None,
    };
    let every = (scenario == Scenario::Soak).then(|| Duration::from_secs(args.soak_interval_secs));
    let expected = events * plan.ok_per_event;
    receiver.reserve(expected);
    hookd.reset_peak_rss()?;
    let cpu_before = hookd.cpu_seconds()?;
    let machine_before = server::machine_ticks()?;
    let (done, watching) = tokio::sync::watch::channel(false);
    let delivering = async {
        let outcome = async {
            let published = publish(hookd, &source, events, args.concurrency, rate, clock).await?;
            let arrived = wait_for(receiver, Kind::Ok, expected).await;
            anyhow::Ok((published, arrived))
        }
        .await;
        done.send_replace(true);
        outcome
    };
    let (outcome, samples) = match every {
        Some(every) => tokio::join!(delivering, soak::sample(hookd, every, watching)),
        None => (delivering.await, Ok(Vec::new())),
    };
    let (published, arrived) = outcome?;
    let samples = samples?;
    let cpu = hookd.cpu_seconds()? - cpu_before;
    let machine_after = server::machine_ticks()?;
    let machine_idle = (machine_after.0 - machine_before.0) as f64
        / (machine_after.1 - machine_before.1).max(1) as f64;
    let peak_rss = hookd.peak_rss()?;
    let count = |kind| receiver.count(kind) as f64;
    let (slow, failing, slow2) = (count(Kind::Slow), count(Kind::Fail), count(Kind::Slow2));
    let receipts = receiver.take();
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
        ("peak_rss_mib", peak_rss as f64 / (1024.0 * 1024.0)),
        ("cpu_s_per_1000", cpu / (receipts.len() as f64 / 1000.0)),
        ("machine_idle", machine_idle),
    ]);
    if matches!(scenario, Scenario::Fanout | Scenario::E20 | Scenario::Slow) {
        figures.insert(
            "healthy_per_sub_per_s",
            receipts.len() as f64 / plan.healthy_subs as f64 / span_s,
        );
    }
    if scenario == Scenario::Fanout {
        figures.insert("slow_received", slow);
        figures.insert("failing_received", failing);
    }
    if scenario == Scenario::Slow {
        figures.insert("slow2_received", slow2);
    }
    if published.refused > 0 {
        figures.insert("publishes_refused", published.refused as f64);
    }
    let series = every.map(|every| {
        soak::series(
            published.first_us,
            every,
            &published.starts,
            &receipts,
            &samples,
        )
    });
    Ok(Run { figures, series })
}

struct Published {
    /// When each event's publish request was sent (µs on the benchmark clock), by event id.
    starts: HashMap<Box<str>, u64>,
    latencies_us: Vec<u64>,
    first_us: u64,
    last_us: u64,
    /// Publishes refused for backpressure and sent again.
    refused: usize,
}

/// The most times one publish is refused for backpressure before the run fails.
const MAX_REFUSALS: usize = 120;

/// Publishes `events` of `source` from `concurrency` connections spread over the nodes, as fast as they go
/// or at `rate` events/s.
async fn publish(
    hookd: &Hookd,
    source: &Events,
    events: usize,
    concurrency: usize,
    rate: Option<f64>,
    clock: Instant,
) -> Result<Published> {
    let next = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    // In this order, so that an event paced to start `k` intervals after `t0` is no earlier on the clock
    // than `k` intervals after `first_us` (the soak buckets by the clock).
    let first_us = clock.elapsed().as_micros() as u64;
    let t0 = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    let addrs = hookd.addrs();
    for publisher in 0..concurrency {
        let (next, source, addr) = (next.clone(), source.clone(), addrs[publisher % addrs.len()]);
        let refused = refused.clone();
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
                let body = source.body(n);
                let start = clock.elapsed().as_micros() as u64;
                // A publish refused for backpressure (429, or 503 while delivery has fallen behind) is sent
                // again after its `Retry-After`, as a client should; its latency counts the waits.
                let mut refusals = 0;
                let (status, answer) = loop {
                    let (status, headers, answer) = conn
                        .exchange(
                            Method::POST,
                            "/api/v1/apps/bench/events",
                            &source.auth(n).headers(),
                            body.clone(),
                        )
                        .await?;
                    let retry_after = headers
                        .get(hyper::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
                    match retry_after {
                        Some(seconds)
                            if matches!(
                                status,
                                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                            ) && refusals < MAX_REFUSALS =>
                        {
                            refusals += 1;
                            tokio::time::sleep(Duration::from_secs(seconds.clamp(1, 30))).await;
                        }
                        _ => break (status, answer),
                    }
                };
                refused.fetch_add(refusals, Ordering::Relaxed);
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
        refused: 0,
    };
    for task in tasks {
        for (id, start, latency) in task.await?? {
            published.last_us = published.last_us.max(start + latency);
            published.starts.insert(id, start);
            published.latencies_us.push(latency);
        }
    }
    published.refused = refused.load(Ordering::Relaxed);
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
fn median(runs: &[Run]) -> Figures {
    let mut out = Figures::new();
    for name in runs.iter().flat_map(|r| r.figures.keys()) {
        let mut values: Vec<f64> = runs
            .iter()
            .filter_map(|r| r.figures.get(name).copied())
            .collect();
        values.sort_by(f64::total_cmp);
        out.insert(name, values[values.len() / 2]);
    }
    out
}

/// The scenario whose deliveries/s `scenario`'s are compared with (`vs_plain`): the same shape without
/// what `scenario` adds (a schema, a filter, large payloads, many subscriptions or accounts).
fn plain_counterpart(scenario: Scenario) -> Option<Scenario> {
    match scenario {
        Scenario::E1Schema | Scenario::P10k | Scenario::P100k | Scenario::Accounts10k => {
            Some(Scenario::E1)
        }
        Scenario::E10Filter | Scenario::Subs1k | Scenario::Subs10k => Some(Scenario::E10),
        _ => None,
    }
}

/// Adds the ratios between scenarios, each to another on the same backend where there is one:
/// deliveries/s as a share of the bare-client ceiling (for the scenarios with the small payload that go as
/// fast as they can); the fan-out's healthy per-subscription rate as a share of the all-healthy E = 10 one;
/// `slow`'s healthy per-subscription rate as a share of `e20`'s; and deliveries/s as a share of the plain
/// counterpart's (`plain_counterpart`).
fn with_ratios(mut medians: BTreeMap<Key, Figures>) -> BTreeMap<Key, Figures> {
    let ceiling = medians
        .get(&(Scenario::Baseline, None))
        .and_then(|m| m.get("requests_per_s").copied());
    let figure = |scenario: Scenario, backend: Backend, name: &str| {
        medians
            .get(&(scenario, Some(backend)))
            .and_then(|m| m.get(name).copied())
    };
    let mut ratios: Vec<(Key, &'static str, f64)> = Vec::new();
    for (&(scenario, backend), figures) in &medians {
        let Some(backend) = backend else { continue };
        let rate = figures.get("deliveries_per_s").copied();
        if let Some(counterpart) = plain_counterpart(scenario) {
            if let (Some(rate), Some(reference)) =
                (rate, figure(counterpart, backend, "deliveries_per_s"))
            {
                ratios.push(((scenario, Some(backend)), "vs_plain", rate / reference));
            }
        }
        if let (Some(ceiling), Some(rate)) = (ceiling, rate) {
            if matches!(
                scenario,
                Scenario::E1
                    | Scenario::E10
                    | Scenario::E100
                    | Scenario::E20
                    | Scenario::E1Schema
                    | Scenario::E10Filter
                    | Scenario::Subs1k
                    | Scenario::Subs10k
                    | Scenario::Accounts10k
            ) {
                ratios.push((
                    (scenario, Some(backend)),
                    "ratio_to_ceiling",
                    rate / ceiling,
                ));
            }
        }
        let healthy = figures.get("healthy_per_sub_per_s").copied();
        let reference = match scenario {
            Scenario::Fanout => figure(Scenario::E10, backend, "deliveries_per_s")
                .map(|rate| ("healthy_vs_all_healthy", rate / 10.0)),
            Scenario::Slow => figure(Scenario::E20, backend, "healthy_per_sub_per_s")
                .map(|rate| ("slow_vs_healthy", rate)),
            _ => None,
        };
        if let (Some(healthy), Some((name, reference))) = (healthy, reference) {
            ratios.push(((scenario, Some(backend)), name, healthy / reference));
        }
    }
    for (key, name, ratio) in ratios {
        if let Some(figures) = medians.get_mut(&key) {
            figures.insert(name, ratio);
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

fn print_table(args: &Args, medians: &BTreeMap<Key, Figures>) {
    let overrides: String = args
        .scenario_events
        .iter()
        .filter(|(s, _)| args.scenarios.contains(s) && *s != Scenario::Soak)
        .map(|(s, n)| format!(", {} {n}", format!("{s:?}").to_lowercase()))
        .collect();
    let cap = args
        .node_cpu
        .map(|p| format!(", each held to {p} % of a CPU"))
        .unwrap_or_default();
    println!(
        "\nhookd-bench: medians of {} runs, {} events ({} fan-out{overrides}), {} publishers, {} hookd node{}{cap}",
        args.runs,
        args.events,
        args.fanout_events,
        args.concurrency,
        args.nodes,
        if args.nodes == 1 { "" } else { "s" }
    );
    if args.scenarios.contains(&Scenario::Soak) {
        println!(
            "soak: {} events at {} events/s, sampled every {} s",
            events_of(args, Scenario::Soak),
            args.soak_rate,
            args.soak_interval_secs
        );
    }
    println!();
    let columns: [(&str, &str, usize); 16] = [
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
        ("idle", "machine_idle", 2),
        ("ok/sub/s", "healthy_per_sub_per_s", 0),
        ("healthy", "healthy_vs_all_healthy", 2),
        ("slow ratio", "slow_vs_healthy", 3),
        ("slow2", "slow2_received", 0),
        ("req/s", "requests_per_s", 0),
    ];
    print!("{:<12}{:<10}", "scenario", "backend");
    for (title, _, _) in &columns {
        print!("{title:>11}");
    }
    println!();
    for ((scenario, backend), figures) in medians {
        print!(
            "{:<12}{:<10}",
            format!("{scenario:?}").to_lowercase(),
            backend.map_or("-", Backend::name)
        );
        for (_, name, digits) in &columns {
            match figures.get(name) {
                Some(v) => print!("{:>11.*}", digits, v),
                None => print!("{:>11}", "-"),
            }
        }
        println!();
    }
    println!("\nlatencies in ms; ratio = deliveries/s ÷ the bare client's requests/s; ok/sub/s = callbacks per");
    println!("second to each healthy subscription; healthy = fan-out's ok/sub/s ÷ the all-healthy E=10 rate;");
    println!("slow ratio = slow's ok/sub/s ÷ e20's; slow2 = callbacks slow's 2-s receiver answered; vs plain =");
    println!("deliveries/s ÷ those of e1 (e1schema, p10k, p100k, accounts10k) or e10 (e10filter, subs1k,");
    println!("subs10k), same backend; RSS = peak after setup");
}

/// Prints every soak run's intervals.
fn print_series(args: &Args, results: &BTreeMap<Key, Vec<Run>>) {
    for ((scenario, backend), runs) in results {
        for (i, run) in runs.iter().enumerate() {
            if let Some(series) = &run.series {
                let title = format!(
                    "{} on {}, run {}/{}, per {} s: the latency of the events published in it, RSS and DB at its end",
                    format!("{scenario:?}").to_lowercase(),
                    backend.map_or("-", Backend::name),
                    i + 1,
                    runs.len(),
                    args.soak_interval_secs
                );
                soak::print(&title, series);
            }
        }
    }
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
