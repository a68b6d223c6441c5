//! Starting the real `hookd` binary where a platform starts it: beside variables of the platform's own
//! (Kubernetes' service links), and before its PostgreSQL accepts connections.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::helpers::{child_command, free_port, wait_ready, Backend, Storage};

/// `hookd serve` for `storage` with `env` added, its standard error written to a file; returns the
/// child, its base URL and the file's path (inside `storage.dir`).
fn start(storage: &Storage, env: &[(&str, &str)]) -> (Child, String, std::path::PathBuf) {
    let log = storage.dir.path().join("stderr.log");
    let file = std::fs::File::create(&log).expect("log file");
    let (mut command, base) =
        child_command(Command::new(env!("CARGO_BIN_EXE_hookd")), storage, env);
    let child = command
        .arg("serve")
        .stderr(Stdio::from(file))
        .spawn()
        .expect("start hookd");
    (child, base, log)
}

/// Waits (at most 30 s) for `child` to exit; returns whether it succeeded.
async fn exited(child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("child status") {
            return status.success();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    panic!("hookd did not exit within 30 s");
}

/// The variables Kubernetes sets in every pod of a namespace with a Service named `hookd`.
const SERVICE_LINKS: [(&str, &str); 7] = [
    ("HOOKD_PORT", "tcp://10.96.0.12:8080"),
    ("HOOKD_PORT_8080_TCP", "tcp://10.96.0.12:8080"),
    ("HOOKD_PORT_8080_TCP_ADDR", "10.96.0.12"),
    ("HOOKD_PORT_8080_TCP_PORT", "8080"),
    ("HOOKD_PORT_8080_TCP_PROTO", "tcp"),
    ("HOOKD_SERVICE_HOST", "10.96.0.12"),
    ("HOOKD_SERVICE_PORT", "8080"),
];

#[tokio::test]
async fn starts_beside_kubernetes_service_links_and_warns_about_each() {
    let _load = crate::helpers::LOAD.read().await;
    let storage = Storage::new(Backend::Sqlite).await.expect("storage");
    let (mut child, base, log) = start(&storage, &SERVICE_LINKS);
    wait_ready(&reqwest::Client::new(), &base, &mut child).await;
    let _ = child.kill();
    let _ = child.wait();
    let logged = std::fs::read_to_string(&log).expect("log");
    for (name, _) in SERVICE_LINKS {
        assert!(
            logged.contains(&format!("ignoring the environment variable {name}:")),
            "no warning naming {name}:\n{logged}"
        );
    }
    assert!(logged.contains("WARN"), "{logged}");
}

#[tokio::test]
async fn a_setting_with_a_bad_value_still_stops_it_with_its_name() {
    let _load = crate::helpers::LOAD.read().await;
    let storage = Storage::new(Backend::Sqlite).await.expect("storage");
    let mut env = SERVICE_LINKS.to_vec();
    env.push(("HOOKD_DELIVERY__CONCURRENCY", "many"));
    let (mut child, _, log) = start(&storage, &env);
    assert!(!exited(&mut child).await, "hookd started with a bad value");
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(logged.contains("HOOKD_DELIVERY__CONCURRENCY: "), "{logged}");
    assert!(logged.contains("many"), "{logged}");
}

/// A port that refuses connections until `after`, then forwards each to `upstream` (a database that
/// comes up late, as seen from hookd).
fn late_proxy(port: u16, upstream: String, after: Duration) {
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("the proxy's port is free again");
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let upstream = upstream.clone();
            tokio::spawn(async move {
                if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
}

/// `url` with its host and port replaced by 127.0.0.1:`port`, and where it pointed before.
fn through(url: &str, port: u16) -> (String, String) {
    let mut parsed = reqwest::Url::parse(url).expect("database URL");
    let upstream = format!(
        "{}:{}",
        parsed.host_str().expect("host"),
        parsed.port().unwrap_or(5432)
    );
    parsed.set_host(Some("127.0.0.1")).expect("host");
    parsed.set_port(Some(port)).expect("port");
    (parsed.to_string(), upstream)
}

#[tokio::test]
async fn waits_for_postgres_that_comes_up_later() {
    let _load = crate::helpers::LOAD.read().await;
    let Some(storage) = Storage::new(Backend::Postgres).await else {
        return;
    };
    let url = storage.pg.as_ref().expect("postgres").url.clone();
    let port = free_port();
    let (late_url, upstream) = through(&url, port);
    late_proxy(port, upstream, Duration::from_secs(10));
    let started = Instant::now();
    let (mut child, base, log) = start(&storage, &[("HOOKD_DATABASE_URL", &late_url)]);
    let http = reqwest::Client::new();
    wait_ready(&http, &base, &mut child).await;
    let waited = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(
        waited >= Duration::from_secs(10),
        "ready after {waited:?}, before the database came up"
    );
    assert!(
        logged.matches("is not accepting connections").count() >= 3,
        "each failed try is logged:\n{logged}"
    );
}

#[tokio::test]
async fn gives_up_on_postgres_after_the_connect_timeout_with_the_cause() {
    let _load = crate::helpers::LOAD.read().await;
    let Some(storage) = Storage::new(Backend::Postgres).await else {
        return;
    };
    let url = storage.pg.as_ref().expect("postgres").url.clone();
    // Nothing listens on this port.
    let (never, _) = through(&url, free_port());
    let started = Instant::now();
    let (mut child, _, log) = start(
        &storage,
        &[
            ("HOOKD_DATABASE_URL", &never),
            ("HOOKD_DATABASE_CONNECT_TIMEOUT_MS", "2000"),
        ],
    );
    assert!(
        !exited(&mut child).await,
        "hookd started without a database"
    );
    let took = started.elapsed();
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(20),
        "gave up after {took:?} with a 2 s timeout"
    );
    assert!(logged.contains("gave up after"), "{logged}");
    assert!(logged.contains("refused"), "the cause is named:\n{logged}");
}
