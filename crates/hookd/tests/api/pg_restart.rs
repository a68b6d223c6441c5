//! PostgreSQL goes away under load and comes back: while it is down publishers get clear 503s
//! (`storage_unavailable`, never an acknowledgement of something then lost) and `/readyz` says so; once it
//! is back, hookd resumes by itself and every acknowledged event is delivered.
//!
//! The test runs its own PostgreSQL server (initdb in a temporary directory, on a free port), so that
//! stopping it disturbs no other test. It needs the server binaries (`initdb`, `pg_ctl`); as root it runs
//! them as the `postgres` user.

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::json;

use crate::helpers::{
    free_port, sigkill, start_child_with, wait_ready, Backend, Receiver, Storage, ADMIN_TOKEN,
};

/// A PostgreSQL server of the test's own.
struct PrivatePg {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivatePg {
    /// `None` (with a notice) where no PostgreSQL server binaries are installed; under CI that is a
    /// failure.
    fn start() -> Option<Self> {
        let Some(bin) = server_binaries() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must provide the PostgreSQL server binaries (initdb, pg_ctl)"
            );
            eprintln!(
                "SKIPPED: no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql"
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        if is_root() {
            run("chown", &["-R", "postgres:", path_str(dir.path())]);
        }
        let pg = Self {
            bin,
            dir,
            port: free_port(),
        };
        let data = pg.data();
        pg.as_postgres(
            "initdb",
            &["-D", &data, "-U", "postgres", "-A", "trust", "--no-sync"],
        );
        pg.start_server();
        Some(pg)
    }

    fn data(&self) -> String {
        format!("{}/data", path_str(self.dir.path()))
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            path_str(self.dir.path())
        );
        let log = format!("{}/server.log", path_str(self.dir.path()));
        self.as_postgres(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server at once, as a crash would (no checkpoint; it recovers at the next start).
    fn kill_server(&self) {
        self.as_postgres(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }

    /// Runs one of the server's programs as the `postgres` user when the test runs as root.
    fn as_postgres(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let program = path_str(&program);
        if is_root() {
            let mut all = vec!["-u", "postgres", "--", program];
            all.extend_from_slice(args);
            run("runuser", &all);
        } else {
            run(program, args);
        }
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let program = self.bin.join("pg_ctl");
        let data = self.data();
        let args = ["-D", data.as_str(), "-m", "immediate", "stop"];
        // Best effort: the server may be stopped already.
        let _ = if is_root() {
            Command::new("runuser")
                .args(["-u", "postgres", "--", path_str(&program)])
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
        } else {
            Command::new(&program)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
        };
    }
}

/// The newest installed PostgreSQL's server binaries (Debian: `/usr/lib/postgresql/<version>/bin`).
fn server_binaries() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the publishers saw.
#[derive(Default)]
struct Seen {
    acked: Vec<String>,
    refused: usize,
    /// Anything but 201 or a 503 `storage_unavailable`: status and body, or the client error.
    unexpected: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_under_load_refuses_clearly_and_resumes() {
    let _load = crate::helpers::LOAD.read().await;
    let Some(pg) = PrivatePg::start() else {
        return;
    };
    let storage = Storage::new(Backend::Sqlite).await.expect("temp dir");
    let receiver = Receiver::start().await;
    let http = reqwest::Client::new();
    let url = pg.url();
    let (mut child, base) = start_child_with(&storage, &[("HOOKD_DATABASE_URL", url.as_str())]);
    wait_ready(&http, &base, &mut child).await;
    let post = |path: &str, token: &str, body: serde_json::Value| {
        let request = http
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body);
        async move {
            let r = request.send().await.unwrap();
            assert!(r.status().is_success(), "{}", r.status());
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let account = post(
        "/api/v1/accounts",
        ADMIN_TOKEN,
        json!({ "name": "restart" }),
    )
    .await;
    let account = account["id"].as_str().unwrap().to_owned();
    let key = post(
        &format!("/api/v1/accounts/{account}/keys"),
        ADMIN_TOKEN,
        json!({ "policy": ["*"] }),
    )
    .await;
    let token = key["token"].as_str().unwrap().to_owned();
    post("/api/v1/apps", &token, json!({ "id": "shop" })).await;
    post(
        "/api/v1/apps/shop/subscriptions",
        &token,
        json!({ "url": receiver.url }),
    )
    .await;

    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut publishers = Vec::new();
    for p in 0..4 {
        let (http, base, token, seen, stop) = (
            http.clone(),
            base.clone(),
            token.clone(),
            seen.clone(),
            stop.clone(),
        );
        publishers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let sent = http
                    .post(format!("{base}/api/v1/apps/shop/events"))
                    .bearer_auth(&token)
                    .json(&json!({ "type": "t", "payload": { "p": p, "n": n } }))
                    .timeout(Duration::from_secs(20))
                    .send()
                    .await;
                let outcome = match sent {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let body: serde_json::Value = r.json().await.unwrap_or_default();
                        match (status, body["error"]["code"].as_str()) {
                            (201, _) => {
                                Ok(Some(body["id"].as_str().unwrap_or_default().to_owned()))
                            }
                            (503, Some("storage_unavailable")) => Ok(None),
                            _ => Err(format!("{status} {body}")),
                        }
                    }
                    Err(e) => Err(format!("no answer: {e:?}")),
                };
                let mut seen = seen.lock().unwrap();
                match outcome {
                    Ok(Some(id)) => seen.acked.push(id),
                    Ok(None) => seen.refused += 1,
                    Err(e) => seen.unexpected.push(e),
                }
            }
        }));
    }
    let wait = |what: &'static str, done: Box<dyn Fn(&Seen) -> bool + Send>| {
        let seen = seen.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !done(&seen.lock().unwrap()) {
                assert!(Instant::now() < deadline, "60 s without {what}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    let readyz = || {
        let request = http.get(format!("{base}/readyz"));
        async move {
            request
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    };

    wait(
        "200 acknowledged events",
        Box::new(|s| s.acked.len() >= 200),
    )
    .await;
    pg.kill_server();
    wait("3 refused publishes", Box::new(|s| s.refused >= 3)).await;
    assert_eq!(readyz().await, 503, "/readyz while the database is down");
    let acked_while_down = seen.lock().unwrap().acked.len();
    pg.start_server();
    let deadline = Instant::now() + Duration::from_secs(30);
    while readyz().await != 200 {
        assert!(
            Instant::now() < deadline,
            "not ready 30 s after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait(
        "200 more acknowledged events after the restart",
        Box::new(move |s| s.acked.len() >= acked_while_down + 200),
    )
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for p in publishers {
        p.await.unwrap();
    }

    let (acked, refused, unexpected) = {
        let seen = seen.lock().unwrap();
        let acked: HashSet<String> = seen.acked.iter().cloned().collect();
        (acked, seen.refused, seen.unexpected.clone())
    };
    // Deliveries whose outcome could not be written while the database was down are sent again once
    // their leases expire (2 s timeout + 1 s margin + up to 10 s in memory).
    let deadline = Instant::now() + Duration::from_secs(90);
    let missing = loop {
        let received: HashSet<String> = receiver
            .requests()
            .iter()
            .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
            .collect();
        let missing = acked.iter().filter(|id| !received.contains(*id)).count();
        if missing == 0 || Instant::now() > deadline {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    sigkill(&mut child);
    eprintln!(
        "{} acknowledged, {refused} refused with 503 while the database was down, {} requests received",
        acked.len(),
        receiver.requests().len()
    );
    assert!(
        unexpected.is_empty(),
        "publishers got answers other than 201 or 503 storage_unavailable: {:?}",
        &unexpected[..unexpected.len().min(5)]
    );
    assert_eq!(
        missing,
        0,
        "{missing} of {} acknowledged events never arrived",
        acked.len()
    );
}
