//! Redis Streams: 10 000 events delivered into a stream, read back and counted — nothing lost, nothing
//! duplicated; and a server of the test's own restarted mid-run.

use std::{collections::HashSet, sync::Arc, time::Duration};

use super::patient;
use super::{assert_exactly_once, publish_many, subscribe, wait_for_count};
use crate::helpers::{publish_through, retried_deliveries, TestApp};
use crate::{both_backends, both_backends_with};

both_backends_with!(patient => ten_thousand_events_into_a_redis_stream);

const REDIS: &str = "redis://127.0.0.1:6379/";

/// An `XRANGE` entry: its id and its fields.
type StreamEntry = (String, Vec<(String, Vec<u8>)>);

/// A Redis connection, or `None` (with a notice) when no server answers; under CI that is a failure.
async fn redis() -> Option<redis::aio::MultiplexedConnection> {
    let connected = async {
        redis::Client::open(REDIS)?
            .get_multiplexed_async_connection()
            .await
    };
    match tokio::time::timeout(Duration::from_secs(3), connected).await {
        Ok(Ok(conn)) => Some(conn),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "Redis must run on 127.0.0.1:6379 in CI"
            );
            eprintln!("SKIPPED: Redis queue test — no Redis server on 127.0.0.1:6379");
            None
        }
    }
}

async fn ten_thousand_events_into_a_redis_stream(app: TestApp) {
    let _load = crate::helpers::LOAD.read().await;
    let Some(mut conn) = redis().await else {
        return;
    };
    let stream = format!("hookd-test-{}", ulid::Ulid::new());
    let t = app.tenant().await;
    subscribe(&app, &t, &format!("redis://127.0.0.1:6379/{stream}")).await;
    const EVENTS: usize = 10_000;
    // The app lives to the end of the test: its dispatcher is still delivering when publishing ends.
    let app = Arc::new(app);
    let published = publish_many(&app, &t.token, EVENTS).await;

    // Wait (bounded) until the stream holds every event.
    wait_for_count(EVENTS, || {
        let mut conn = conn.clone();
        let stream = stream.clone();
        async move {
            redis::cmd("XLEN")
                .arg(&stream)
                .query_async::<usize>(&mut conn)
                .await
                .unwrap()
        }
    })
    .await;
    let entries: Vec<StreamEntry> = redis::cmd("XRANGE")
        .arg(&stream)
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut seen = HashSet::new();
    for (_, fields) in &entries {
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let id = String::from_utf8(field("webhook-id").expect("webhook-id field")).unwrap();
        assert!(field("webhook-signature").is_some() && field("body").is_some());
        assert!(seen.insert(id.clone()), "event {id} delivered twice");
    }
    let _: () = redis::cmd("DEL")
        .arg(&stream)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_exactly_once(&app, &t.token, &published, &seen, &[]).await;
}

/// A Redis server of the test's own (free port, append-only file in a temp dir), so it can be restarted.
struct OwnRedis {
    port: u16,
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl OwnRedis {
    fn start(port: u16, dir: tempfile::TempDir) -> Self {
        let child = std::process::Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "yes",
            ])
            .args([
                "--appendfsync",
                "always",
                "--dir",
                dir.path().to_str().unwrap(),
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        Self { port, dir, child }
    }

    async fn connection(&self) -> redis::aio::MultiplexedConnection {
        let url = format!("redis://127.0.0.1:{}/", self.port);
        for _ in 0..100 {
            if let Ok(conn) = redis::Client::open(url.as_str())
                .unwrap()
                .get_multiplexed_async_connection()
                .await
            {
                return conn;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server on port {} did not start", self.port);
    }

    /// Stops the server (SIGTERM: it flushes its append-only file), leaves it down for `down` and starts
    /// it again on the same data.
    async fn restart(mut self, down: Duration) -> Self {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        self.child.wait().unwrap();
        tokio::time::sleep(down).await;
        let (port, dir) = (
            self.port,
            std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap()),
        );
        let restarted = Self::start(port, dir);
        restarted.connection().await;
        restarted
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long the broker stays down: longer than the 2 s attempt timeout, so that attempts fail and are
/// retried, and long enough that a Redis client's own reconnection attempts run out meanwhile (hookd's
/// pooled connection once never came back after that).
const DOWN: Duration = Duration::from_secs(3);

both_backends!(redis_restart_mid_run_loses_nothing);

async fn redis_restart_mid_run_loses_nothing(app: TestApp) {
    let _load = crate::helpers::LOAD.read().await;
    if redis().await.is_none() {
        return; // redis-server is not installed here either
    }
    let port = crate::helpers::free_port();
    let server = OwnRedis::start(port, tempfile::tempdir().unwrap());
    let mut conn = server.connection().await;
    let t = app.tenant().await;
    subscribe(&app, &t, &format!("redis://127.0.0.1:{port}/events")).await;

    const EVENTS: usize = 1_000;
    // The server restarts while the clients go on publishing: attempts made while it is down fail.
    // (`publish_through` publishes at least EVENTS events, more if the restart is slow.)
    let app = Arc::new(app);
    let (published, server) = publish_through(&app, &t.token, EVENTS, server.restart(DOWN)).await;
    let (published, deliveries): (HashSet<String>, Vec<String>) = published.into_iter().unzip();
    // Attempts that failed while the broker was down are retried 1 s (±20 %) later.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let seen = loop {
        conn = match redis::cmd("PING").query_async::<String>(&mut conn).await {
            Ok(_) => conn,
            Err(_) => server.connection().await,
        };
        let entries: Vec<StreamEntry> = redis::cmd("XRANGE")
            .arg("events")
            .arg("-")
            .arg("+")
            .query_async(&mut conn)
            .await
            .unwrap();
        let seen: HashSet<String> = entries
            .iter()
            .filter_map(|(_, fields)| fields.iter().find(|(k, _)| k == "webhook-id"))
            .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
            .collect();
        if seen.is_superset(&published) || tokio::time::Instant::now() > deadline {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // When some are missing, the message shows what hookd recorded for a few of them.
    assert_exactly_once(&app, &t.token, &published, &seen, &[]).await;
    let retried = retried_deliveries(&app, &t.token, &deliveries).await;
    eprintln!("redis restart: {retried} deliveries succeeded after a failed attempt");
    assert!(
        retried > 0,
        "no attempt failed and was retried: the restart did not test recovery"
    );
}
