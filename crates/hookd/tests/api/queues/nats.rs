//! NATS JetStream: 10 000 events into a stream of the shared server, read back and counted; and a server
//! of the test's own, restarted mid-run, after which every event is in the stream exactly once (retries
//! carry the delivery's `Nats-Msg-Id`, which the stream deduplicates).

use std::{collections::HashSet, sync::Arc, time::Duration};

use async_nats::jetstream::{self, consumer::pull, consumer::AckPolicy, stream};
use futures_util::StreamExt;

use super::patient;
use super::{assert_exactly_once, broker_is_up, publish_many, subscribe, tally, wait_for_count};
use crate::helpers::{free_port, publish_through, retried_deliveries, TestApp};
use crate::{both_backends, both_backends_with};

const SHARED: &str = "127.0.0.1:4222";

async fn jetstream_at(addr: &str) -> jetstream::Context {
    for _ in 0..100 {
        if let Ok(client) = async_nats::connect(addr).await {
            return jetstream::new(client);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no NATS server answers on {addr}");
}

/// A stream capturing one fresh subject; returns (stream name, subject).
async fn fresh_stream(js: &jetstream::Context) -> (String, String) {
    let tag = ulid::Ulid::new().to_string();
    let (name, subject) = (format!("hookd_test_{tag}"), format!("hookd.test.{tag}"));
    js.create_stream(stream::Config {
        name: name.clone(),
        subjects: vec![subject.clone()],
        ..Default::default()
    })
    .await
    .unwrap();
    (name, subject)
}

/// Waits (bounded) until the stream holds `count` messages, then reads every one's `webhook-id`.
async fn read_ids(js: &jetstream::Context, name: &str, count: usize) -> Vec<String> {
    wait_for_count(count, || async {
        match js.get_stream(name).await {
            Ok(mut s) => s.info().await.map_or(0, |i| i.state.messages as usize),
            Err(_) => 0,
        }
    })
    .await;
    let stream = js.get_stream(name).await.unwrap();
    let consumer = stream
        .create_consumer(pull::Config {
            ack_policy: AckPolicy::None,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    loop {
        let mut batch = consumer
            .fetch()
            .max_messages(1000)
            .expires(Duration::from_secs(1))
            .messages()
            .await
            .unwrap();
        let before = ids.len();
        while let Some(message) = batch.next().await {
            let message = message.unwrap();
            let headers = message.headers.as_ref().expect("NATS headers");
            assert!(headers.get("webhook-signature").is_some());
            ids.push(headers.get("webhook-id").expect("webhook-id").to_string());
        }
        if ids.len() == before {
            return ids;
        }
    }
}

both_backends_with!(patient => ten_thousand_events_into_a_jetstream_subject);

async fn ten_thousand_events_into_a_jetstream_subject(app: TestApp) {
    let _load = crate::helpers::LOAD.read().await;
    if !broker_is_up("NATS", SHARED) {
        return;
    }
    let js = jetstream_at(SHARED).await;
    let (name, subject) = fresh_stream(&js).await;
    let t = app.tenant().await;
    subscribe(&app, &t, &format!("nats://{SHARED}/{subject}")).await;

    const EVENTS: usize = 10_000;
    // The app lives to the end of the test: its dispatcher is still delivering when publishing ends.
    let app = Arc::new(app);
    let published = publish_many(&app, &t.token, EVENTS).await;
    let ids = read_ids(&js, &name, EVENTS).await;
    js.delete_stream(&name).await.unwrap();
    let (seen, twice) = tally(ids.iter().map(String::as_str));
    assert_exactly_once(&app, &t.token, &published, &seen, &twice).await;
}

/// A NATS server of the test's own with JetStream on a temp dir, so it can be restarted.
struct OwnNats {
    port: u16,
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl OwnNats {
    fn start(port: u16, dir: tempfile::TempDir) -> Self {
        let child = std::process::Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nats-server is installed");
        Self { port, dir, child }
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops the server (SIGTERM), leaves it down for `down` and starts it again on the same store.
    async fn restart(mut self, down: Duration) -> Self {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        self.child.wait().unwrap();
        tokio::time::sleep(down).await;
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        let restarted = Self::start(self.port, dir);
        jetstream_at(&restarted.addr()).await;
        restarted
    }
}

impl Drop for OwnNats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long the broker stays down: longer than an attempt's 2 s timeout, so that an attempt waiting for
/// it (a client may hold a publish while it reconnects) fails instead of succeeding late.
const DOWN: Duration = Duration::from_secs(3);

both_backends!(nats_restart_mid_run_loses_and_duplicates_nothing);

async fn nats_restart_mid_run_loses_and_duplicates_nothing(app: TestApp) {
    let _load = crate::helpers::LOAD.read().await;
    if !broker_is_up("NATS", SHARED) {
        return; // nats-server is not installed here either
    }
    let server = OwnNats::start(free_port(), tempfile::tempdir().unwrap());
    let js = jetstream_at(&server.addr()).await;
    let (name, subject) = fresh_stream(&js).await;
    let t = app.tenant().await;
    subscribe(&app, &t, &format!("nats://{}/{subject}", server.addr())).await;

    const EVENTS: usize = 1_000;
    // The server restarts while the clients go on publishing: attempts made while it is down fail.
    // (`publish_through` publishes at least EVENTS events, more if the restart is slow.)
    let app = Arc::new(app);
    let (published, server) = publish_through(&app, &t.token, EVENTS, server.restart(DOWN)).await;
    let (published, deliveries): (HashSet<String>, Vec<String>) = published.into_iter().unzip();
    // Attempts that failed while the server was down are retried 1 s (±20 %) later.
    let js = jetstream_at(&server.addr()).await;
    let ids = read_ids(&js, &name, published.len()).await;
    let (seen, twice) = tally(ids.iter().map(String::as_str));
    let missing = published.difference(&seen).count();
    assert_eq!(
        missing,
        0,
        "{missing} of {} events missing after the restart",
        published.len()
    );
    assert!(
        twice.is_empty(),
        "delivered twice across the restart: {twice:?}"
    );
    let retried = retried_deliveries(&app, &t.token, &deliveries).await;
    eprintln!("NATS restart: {retried} deliveries succeeded after a failed attempt");
    assert!(
        retried > 0,
        "no attempt failed and was retried: the restart did not test recovery"
    );
}
