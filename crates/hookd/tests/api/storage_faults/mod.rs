//! Storage faults under load, on real file systems and a real PostgreSQL server: the real `hookd` binary
//! serves four or more publishers while its storage fills up or turns read-only, and then recovers without
//! a restart. Every event answered 2xx must be readable by id and delivered, no event answered otherwise
//! may be stored (a 5xx for a commit whose answer the server lost is the one exception, counted apart),
//! `/readyz` must answer 503 while writes fail and 200 again after, and all of it must still hold after a
//! `kill -9` and a restart on the same storage.
//!
//! The faults need root (mounting a tmpfs, making a PostgreSQL tablespace on it); without root the tests
//! say SKIPPED, and under CI they fail instead.

use std::{
    collections::HashMap,
    future::Future,
    path::{Path, PathBuf},
    process::Command,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use serde_json::{json, Value};

mod postgres;
mod server;
mod sqlite;

use server::*;

const PUBLISHERS: usize = 4;
/// Padding in each payload, so that a few hundred events fill what space is left.
const PAD: usize = 4 * 1024;

/// `None` (with a notice) when not root; under CI that is a failure.
fn root() -> Option<()> {
    if nix::unistd::Uid::effective().is_root() {
        return Some(());
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "storage fault tests need root (tmpfs, remounts) and may not be skipped in CI"
    );
    eprintln!("SKIPPED: storage fault test — needs root to mount a tmpfs");
    None
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A tmpfs of `mib` MiB mounted at `dir`, unmounted (lazily, in case a killed server still held it) on
/// drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, mib: u32) -> Self {
        run(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={mib}m"),
                "tmpfs",
                dir.to_str().unwrap(),
            ],
        );
        Self(dir.to_path_buf())
    }
}

/// Writes a file in `dir` until its file system is full; returns its path.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).expect("filler");
    let block = vec![0u8; 64 * 1024];
    let mut chunk = block.len();
    // Whole blocks, then ever smaller writes down to one byte, until nothing more fits.
    for _ in 0..1_000_000 {
        if chunk == 0 {
            break;
        }
        match file.write(&block[..chunk]) {
            Ok(0) | Err(_) => chunk /= 2,
            Ok(_) => {}
        }
    }
    let _ = file.sync_all();
    path
}

/// Fills a file system with a file, and frees it again.
struct Filler {
    dir: PathBuf,
    file: Mutex<Option<PathBuf>>,
}

impl Filler {
    fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            file: Mutex::default(),
        }
    }

    async fn fill(&self) {
        *self.file.lock().unwrap() = Some(fill(&self.dir));
    }

    async fn clear(&self) {
        let file = self.file.lock().unwrap().take().expect("filled before");
        std::fs::remove_file(file).unwrap();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// What one publish got.
#[derive(Debug, Clone)]
struct Outcome {
    seq: String,
    /// `None`: no answer (the connection failed or timed out), so it may or may not be stored.
    status: Option<u16>,
    id: Option<String>,
}

/// Publishers that keep publishing until stopped, and a prober of `/readyz`.
struct Load {
    stop: Arc<AtomicBool>,
    outcomes: Arc<Mutex<Vec<Outcome>>>,
    ready: Arc<Mutex<Vec<(Instant, u16)>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(http: &reqwest::Client, base: &str, token: &str, round: &str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let outcomes = Arc::new(Mutex::new(Vec::new()));
        let ready = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for p in 0..PUBLISHERS {
            let (http, base, token) = (http.clone(), base.to_owned(), token.to_owned());
            let (stop, outcomes, round) = (stop.clone(), outcomes.clone(), round.to_owned());
            tasks.push(tokio::spawn(async move {
                let pad = "x".repeat(PAD);
                for n in 0..200_000 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let seq = format!("{round}-{p}-{n}");
                    let sent = http
                        .post(format!("{base}/api/v1/apps/shop/events"))
                        .bearer_auth(&token)
                        .json(&json!({ "type": "order.created", "payload": { "seq": seq, "pad": pad } }))
                        .timeout(Duration::from_secs(10))
                        .send()
                        .await;
                    let outcome = match sent {
                        Ok(r) => {
                            let status = r.status().as_u16();
                            let body: Option<Value> = r.json().await.ok();
                            let id = body
                                .as_ref()
                                .and_then(|b| b["id"].as_str())
                                .map(str::to_owned);
                            // A 2xx whose body was lost is no acknowledgement the client saw.
                            let status = if status < 300 && id.is_none() {
                                None
                            } else {
                                Some(status)
                            };
                            Outcome { seq, status, id }
                        }
                        Err(_) => Outcome {
                            seq,
                            status: None,
                            id: None,
                        },
                    };
                    let failed = outcome.status != Some(201);
                    outcomes.lock().unwrap().push(outcome);
                    if failed {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            }));
        }
        {
            let (http, base, stop, ready) =
                (http.clone(), base.to_owned(), stop.clone(), ready.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..100_000 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Ok(r) = http
                        .get(format!("{base}/readyz"))
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await
                    {
                        ready
                            .lock()
                            .unwrap()
                            .push((Instant::now(), r.status().as_u16()));
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }));
        }
        Self {
            stop,
            outcomes,
            ready,
            tasks,
        }
    }

    fn count(&self, status: u16) -> usize {
        let outcomes = self.outcomes.lock().unwrap();
        outcomes.iter().filter(|o| o.status == Some(status)).count()
    }

    /// Waits (at most `secs`) until `more` further publishes got `status`.
    async fn wait_for(&self, status: u16, more: usize, secs: u64, what: &str) {
        let target = self.count(status) + more;
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.count(status) < target {
            assert!(
                Instant::now() < deadline,
                "{what}: {} publishes answered {status} after {secs} s, wanted {target}; statuses so far: {:?}",
                self.count(status),
                self.statuses()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (at most `secs`) until `/readyz` answered `status` after `since`.
    async fn wait_ready_status(&self, status: u16, since: Instant, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let seen = self
                .ready
                .lock()
                .unwrap()
                .iter()
                .any(|&(at, s)| at >= since && s == status);
            if seen {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "/readyz did not answer {status} within {secs} s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for 100 acknowledged publishes, injects a fault, and waits for 50 refused ones, `/readyz`
    /// answering 503 and `hookd_storage_errors_total` counting one of `kinds`.
    async fn until_refused(
        &self,
        server: &Server,
        inject: impl Future<Output = ()>,
        kinds: &[&str],
        name: &str,
    ) {
        self.wait_for(201, 100, 60, "before the fault").await;
        let injected = Instant::now();
        inject.await;
        self.wait_for(503, 50, 60, "during the fault").await;
        self.wait_ready_status(503, injected, 30).await;
        let metrics = server
            .http
            .get(format!("{}/metrics", server.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let counted = |kind: &&str| {
            let series = format!("hookd_storage_errors_total{{kind=\"{kind}\"}}");
            metrics.lines().any(|l| l.starts_with(&series))
        };
        assert!(
            kinds.iter().any(counted),
            "{name}: no hookd_storage_errors_total of {kinds:?} in /metrics:\n{metrics}"
        );
    }

    fn statuses(&self) -> HashMap<Option<u16>, usize> {
        statuses(&self.outcomes.lock().unwrap())
    }

    async fn stop(self) -> Vec<Outcome> {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.unwrap();
        }
        let outcomes = self.outcomes.lock().unwrap().clone();
        outcomes
    }
}

/// How many publishes got each status (`None`: no answer).
fn statuses(outcomes: &[Outcome]) -> HashMap<Option<u16>, usize> {
    let mut counts = HashMap::new();
    for o in outcomes {
        *counts.entry(o.status).or_insert(0) += 1;
    }
    counts
}
