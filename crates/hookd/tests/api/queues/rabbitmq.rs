//! RabbitMQ: 10 000 events published into `amq.direct` and routed to a durable queue of the test's own,
//! drained and counted; and the broker restarted (`rabbitmqctl stop_app` / `start_app`) mid-run, after
//! which nothing is missing. The tests share one broker, so they take turns.

use std::{collections::HashSet, sync::Arc, time::Duration};

use lapin::{
    options::{BasicGetOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions},
    types::{AMQPValue, FieldTable},
    Channel, Connection, ConnectionProperties,
};

use super::patient;
use super::{assert_exactly_once, broker_is_up, publish_many, subscribe, tally, wait_for_count};
use crate::helpers::{publish_through, retried_deliveries, TestApp};
use crate::{both_backends, both_backends_with};

const BROKER: &str = "127.0.0.1:5672";

/// One RabbitMQ test at a time: a restart would break the others' connections.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn channel() -> (Connection, Channel) {
    let mut last = None;
    for _ in 0..100 {
        match Connection::connect(
            &format!("amqp://guest:guest@{BROKER}/%2f"),
            ConnectionProperties::default(),
        )
        .await
        {
            Ok(conn) => {
                let channel = conn.create_channel().await.unwrap();
                return (conn, channel);
            }
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("RabbitMQ on {BROKER} refuses connections: {last:?}");
}

/// A fresh durable queue bound to `amq.direct` under its own name.
async fn fresh_queue() -> String {
    let queue = format!("hookd-test-{}", ulid::Ulid::new());
    let (_conn, ch) = channel().await;
    ch.queue_declare(
        queue.as_str().into(),
        QueueDeclareOptions {
            durable: true,
            ..Default::default()
        },
        FieldTable::default(),
    )
    .await
    .unwrap();
    ch.queue_bind(
        queue.as_str().into(),
        "amq.direct".into(),
        queue.as_str().into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    queue
}

/// Waits (bounded) until `queue` holds `count` messages, drains it and deletes it; returns every
/// message's `webhook-id`.
async fn drain(queue: &str, count: usize) -> Vec<String> {
    let (_conn, ch) = channel().await;
    let passive = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    wait_for_count(count, || async {
        ch.queue_declare(queue.into(), passive, FieldTable::default())
            .await
            .unwrap()
            .message_count() as usize
    })
    .await;
    let mut ids = Vec::new();
    while let Some(message) = ch
        .basic_get(queue.into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap()
    {
        let properties = &message.delivery.properties;
        let headers = properties.headers().as_ref().expect("message headers");
        let header = |name: &str| match headers.inner().get(name) {
            Some(AMQPValue::LongString(v)) => String::from_utf8(v.as_bytes().to_vec()).unwrap(),
            other => panic!("header {name}: {other:?}"),
        };
        assert!(header("webhook-signature").starts_with("v1,"));
        let id = header("webhook-id");
        let message_id = properties.message_id().as_ref().expect("a message id");
        assert!(
            message_id.as_str().starts_with("dlv_"),
            "the message id is the delivery's id: {message_id}"
        );
        assert_eq!(properties.delivery_mode(), &Some(2), "persistent");
        ids.push(id);
    }
    ch.queue_delete(queue.into(), QueueDeleteOptions::default())
        .await
        .unwrap();
    ids
}

both_backends_with!(patient => ten_thousand_events_into_a_rabbitmq_exchange);

async fn ten_thousand_events_into_a_rabbitmq_exchange(app: TestApp) {
    let _load = crate::helpers::LOAD.read().await;
    // The turn first: another test may be restarting the broker.
    let _turn = TURN.lock().await;
    if !broker_is_up("RabbitMQ", BROKER) {
        return;
    }
    let queue = fresh_queue().await;
    let t = app.tenant().await;
    let url = format!("amqp://{BROKER}/?exchange=amq.direct&routing_key={queue}");
    subscribe(&app, &t, &url).await;

    const EVENTS: usize = 10_000;
    // The app lives to the end of the test: its dispatcher is still delivering when publishing ends.
    let app = Arc::new(app);
    let published = publish_many(&app, &t.token, EVENTS).await;
    let ids = drain(&queue, EVENTS).await;
    let (seen, twice) = tally(ids.iter().map(String::as_str));
    assert_exactly_once(&app, &t.token, &published, &seen, &twice).await;
}

fn rabbitmqctl(command: &str) {
    let status = std::process::Command::new("rabbitmqctl")
        .arg(command)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("rabbitmqctl is installed with the broker");
    assert!(status.success(), "rabbitmqctl {command} failed");
}

/// How long the broker stays down: longer than an attempt's 2 s timeout, so that an attempt waiting for
/// it (a client may hold a publish while it reconnects) fails instead of succeeding late.
const DOWN: Duration = Duration::from_secs(3);

both_backends!(rabbitmq_restart_mid_run_loses_nothing);

async fn rabbitmq_restart_mid_run_loses_nothing(app: TestApp) {
    let _load = crate::helpers::LOAD.read().await;
    // The turn first: another test may be restarting the broker.
    let _turn = TURN.lock().await;
    if !broker_is_up("RabbitMQ", BROKER) {
        return;
    }
    let queue = fresh_queue().await;
    let t = app.tenant().await;
    let url = format!("amqp://guest:guest@{BROKER}/?exchange=amq.direct&routing_key={queue}");
    subscribe(&app, &t, &url).await;

    const EVENTS: usize = 1_000;
    // The broker restarts while the clients go on publishing: attempts made while it is down fail, and
    // are retried 1 s (±20 %) later. (`publish_through` publishes at least EVENTS events, more if the
    // restart is slow.)
    let app = Arc::new(app);
    let restart = async {
        tokio::task::spawn_blocking(|| {
            rabbitmqctl("stop_app");
            std::thread::sleep(DOWN);
            rabbitmqctl("start_app");
        })
        .await
        .unwrap()
    };
    let (published, ()) = publish_through(&app, &t.token, EVENTS, restart).await;
    let (published, deliveries): (HashSet<String>, Vec<String>) = published.into_iter().unzip();
    let ids = drain(&queue, published.len()).await;
    let (seen, twice) = tally(ids.iter().map(String::as_str));
    let missing = published.difference(&seen).count();
    assert_eq!(
        missing,
        0,
        "{missing} of {} events missing after the restart",
        published.len()
    );
    // A message the broker stored just before it stopped, whose confirmation was lost, is published
    // again: at-least-once. It carries the same message id, so a consumer can drop the repeat.
    assert!(
        twice.len() <= 64,
        "more repeats than attempts in flight: {}",
        twice.len()
    );
    eprintln!("repeated across the restart: {}", twice.len());
    let retried = retried_deliveries(&app, &t.token, &deliveries).await;
    eprintln!("RabbitMQ restart: {retried} deliveries succeeded after a failed attempt");
    assert!(
        retried > 0,
        "no attempt failed and was retried: the restart did not test recovery"
    );
}
