//! Traces over OTLP/HTTP: the real `hookd` binary exports to a real OTLP/HTTP receiver started here, which
//! decodes the protobuf it is sent. A publish that carries a client's `traceparent` continues the client's
//! trace: the API request's span is the client span's child, the publish span the request's, and each
//! attempt of the delivery (the first handed over in memory, the retry read back from the database) a
//! child of the publish span. The spans arrive with the export hookd makes when it is stopped (SIGTERM).
//! Without `HOOKD_OTLP_ENDPOINT` nothing is exported and nothing stored.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{body::Bytes, http::HeaderMap, routing::post, Router};
use opentelemetry_proto::tonic::{
    collector::trace::v1::ExportTraceServiceRequest,
    common::v1::{any_value::Value as AnyValue, KeyValue},
    trace::v1::{span::SpanKind, status::StatusCode, Span},
};
use prost::Message;
use serde_json::json;
use sqlx::Connection;

use hookd::telemetry::SPANS;

use crate::helpers::{
    child_command, child_shop, child_tenant, start_child_with, terminate, wait_ready, Backend,
    Receiver, Storage,
};

/// The client's trace and span, as its `traceparent` names them.
const CLIENT_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN: &str = "00f067aa0ba902b7";

/// One exported span with its resource's `service.name`.
#[derive(Debug, Clone)]
struct Exported {
    service: Option<String>,
    span: Span,
}

impl Exported {
    fn trace_id(&self) -> String {
        hex(&self.span.trace_id)
    }

    fn span_id(&self) -> String {
        hex(&self.span.span_id)
    }

    fn parent_id(&self) -> String {
        hex(&self.span.parent_span_id)
    }

    fn attribute(&self, key: &str) -> Option<&AnyValue> {
        self.span
            .attributes
            .iter()
            .find(|a: &&KeyValue| a.key == key)
            .and_then(|a| a.value.as_ref()?.value.as_ref())
    }

    fn str(&self, key: &str) -> Option<&str> {
        match self.attribute(key)? {
            AnyValue::StringValue(s) => Some(s),
            _ => None,
        }
    }

    fn int(&self, key: &str) -> Option<i64> {
        match self.attribute(key)? {
            AnyValue::IntValue(n) => Some(*n),
            _ => None,
        }
    }

    fn status(&self) -> StatusCode {
        self.span
            .status
            .as_ref()
            .map_or(StatusCode::Unset, |s| s.code())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A real OTLP/HTTP receiver on 127.0.0.1:0: `POST /v1/traces` with a protobuf
/// `ExportTraceServiceRequest`; anything else is recorded as a problem.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<Exported>>>,
    problems: Arc<Mutex<Vec<String>>>,
    requests: Arc<Mutex<usize>>,
}

impl Collector {
    async fn start() -> (Self, String) {
        let collector = Self::default();
        let state = collector.clone();
        let traces = move |headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move {
                *state.requests.lock().unwrap() += 1;
                let content_type = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if content_type != "application/x-protobuf" {
                    state
                        .problems
                        .lock()
                        .unwrap()
                        .push(format!("content-type `{content_type}`"));
                }
                match ExportTraceServiceRequest::decode(body) {
                    Ok(request) => {
                        let mut spans = state.spans.lock().unwrap();
                        for resource in request.resource_spans {
                            let service = resource.resource.as_ref().and_then(|r| {
                                r.attributes
                                    .iter()
                                    .find(|a| a.key == "service.name")
                                    .and_then(|a| match a.value.as_ref()?.value.as_ref()? {
                                        AnyValue::StringValue(s) => Some(s.clone()),
                                        _ => None,
                                    })
                            });
                            for scope in resource.scope_spans {
                                spans.extend(scope.spans.into_iter().map(|span| Exported {
                                    service: service.clone(),
                                    span,
                                }));
                            }
                        }
                    }
                    Err(e) => state
                        .problems
                        .lock()
                        .unwrap()
                        .push(format!("undecodable body: {e}")),
                }
                // An empty ExportTraceServiceResponse: everything accepted.
                ([("content-type", "application/x-protobuf")], Bytes::new())
            }
        };
        let problems = collector.problems.clone();
        let app = Router::new().route("/v1/traces", post(traces)).fallback(
            move |uri: axum::http::Uri| {
                let problems = problems.clone();
                async move {
                    problems.lock().unwrap().push(format!("request to {uri}"));
                    axum::http::StatusCode::NOT_FOUND
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (collector, url)
    }

    fn spans(&self) -> Vec<Exported> {
        self.spans.lock().unwrap().clone()
    }
}

/// The `traceparent` stored with event `id`, read from the database directly.
async fn stored_traceparent(storage: &Storage, id: &str) -> Option<String> {
    let sql = "SELECT traceparent FROM events WHERE id = $1";
    let url = storage.database_url();
    let row: (Option<String>,) = match &storage.pg {
        Some(_) => {
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query_as(sql)
                .bind(id)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        }
        None => {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query_as(sql)
                .bind(id)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        }
    };
    row.0
}

/// How `publish_with_a_retry` runs hookd.
#[derive(Clone, Copy, PartialEq)]
enum Run {
    /// With `HOOKD_OTLP_ENDPOINT` set.
    Traced,
    /// Without.
    Untraced,
    /// Without, logging at debug with the spans' target turned on in the logs, into `stderr.log` in the
    /// storage's directory.
    Logged,
}

/// Publishes with a client `traceparent` to a subscription whose receiver fails the first attempt (500)
/// and takes the retry a second later (200). Once the delivery succeeded, stops hookd and returns the
/// collector, the storage, the event id and the delivery id.
async fn publish_with_a_retry(
    backend: Backend,
    run: Run,
) -> Option<(Collector, Storage, String, String)> {
    let storage = Storage::new(backend).await?;
    let (collector, collector_url) = Collector::start().await;
    let receiver = Receiver::start().await;
    receiver.respond_with(&[500]);
    let http = reqwest::Client::new();
    // Spans are exported every minute only, so that they arrive with the export hookd makes when it is
    // stopped. Untraced, the standard variable alone turns nothing on.
    let mut env = vec![
        ("OTEL_BSP_SCHEDULE_DELAY", "60000".to_owned()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", collector_url.clone()),
    ];
    match run {
        Run::Traced => env.push(("HOOKD_OTLP_ENDPOINT", collector_url.clone())),
        Run::Untraced => {}
        Run::Logged => env.push(("RUST_LOG", format!("info,hookd=debug,{SPANS}=info"))),
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (mut child, base) = if run == Run::Logged {
        let log = std::fs::File::create(storage.dir.path().join("stderr.log")).expect("log file");
        let (mut command, base) = child_command(
            std::process::Command::new(env!("CARGO_BIN_EXE_hookd")),
            &storage,
            &env,
        );
        let child = command
            .arg("serve")
            .stderr(std::process::Stdio::from(log))
            .spawn()
            .expect("start hookd");
        (child, base)
    } else {
        start_child_with(&storage, &env)
    };
    wait_ready(&http, &base, &mut child).await;

    let token = child_tenant(&http, &base, "traced").await;
    child_shop(
        &http,
        &base,
        &token,
        json!({ "url": receiver.url, "retry": [1] }),
    )
    .await;
    let published: serde_json::Value = http
        .post(format!("{base}/api/v1/apps/shop/events"))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"))
        .json(&json!({ "type": "order.created", "payload": { "order": 42 } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let event = published["id"].as_str().unwrap().to_owned();
    let delivery = published["deliveries"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let d: serde_json::Value = http
            .get(format!("{base}/api/v1/deliveries/{delivery}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if d["status"] == "succeeded" {
            assert_eq!(d["attempts"], 2, "{d}");
            break;
        }
        assert!(Instant::now() < deadline, "delivery not retried: {d}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(*collector.requests.lock().unwrap(), 0, "exported early");
    // The exporter sends what it still holds before the process exits.
    terminate(&mut child).await;
    Some((collector, storage, event, delivery))
}

async fn a_publish_and_its_attempts_are_one_trace(backend: Backend) {
    let Some((collector, storage, event, delivery)) =
        publish_with_a_retry(backend, Run::Traced).await
    else {
        return;
    };
    assert_eq!(
        collector.problems.lock().unwrap().clone(),
        Vec::<String>::new()
    );
    let spans = collector.spans();
    assert!(spans.iter().all(|s| s.service.as_deref() == Some("hookd")));
    let ours: Vec<&Exported> = spans
        .iter()
        .filter(|s| s.trace_id() == CLIENT_TRACE)
        .collect();
    let named = |name: &str| -> Vec<&Exported> {
        ours.iter()
            .copied()
            .filter(|s| s.span.name == name)
            .collect()
    };

    // The API request continues the client's trace.
    let request = named("POST /api/v1/apps/{app}/events");
    assert_eq!(request.len(), 1, "{ours:#?}");
    let request = request[0];
    assert_eq!(request.parent_id(), CLIENT_SPAN);
    assert_eq!(request.span.kind(), SpanKind::Server);
    assert_eq!(request.str("http.route"), Some("/api/v1/apps/{app}/events"));
    assert_eq!(request.str("http.request.method"), Some("POST"));
    assert_eq!(request.int("http.response.status_code"), Some(201));

    // The publish, inside the request.
    let publish = named("publish");
    assert_eq!(publish.len(), 1, "{ours:#?}");
    let publish = publish[0];
    assert_eq!(publish.parent_id(), request.span_id());
    assert_eq!(publish.str("event.id"), Some(event.as_str()));
    assert_eq!(publish.str("app.id"), Some("shop"));
    assert_eq!(publish.str("event.type"), Some("order.created"));
    assert!(publish
        .str("account.id")
        .is_some_and(|a| a.starts_with("acc")));
    assert_eq!(publish.int("deliveries"), Some(1));
    assert_eq!(
        stored_traceparent(&storage, &event).await,
        Some(format!("00-{CLIENT_TRACE}-{}-01", publish.span_id())),
        "the event stores the publish span's context"
    );

    // Each attempt a child of the publish: the first failed, the retry (read back from the database a
    // second later) succeeded.
    let mut attempts = named("attempt");
    attempts.sort_by_key(|s| s.int("attempt"));
    assert_eq!(attempts.len(), 2, "{ours:#?}");
    for (n, attempt) in attempts.iter().enumerate() {
        assert_eq!(attempt.parent_id(), publish.span_id(), "attempt {n}");
        assert_eq!(attempt.span.kind(), SpanKind::Client);
        assert_eq!(attempt.int("attempt"), Some(n as i64 + 1));
        assert_eq!(attempt.str("delivery.id"), Some(delivery.as_str()));
        assert_eq!(attempt.str("event.id"), Some(event.as_str()));
        assert!(attempt
            .str("subscription.id")
            .is_some_and(|s| s.starts_with("sub")));
        assert_eq!(attempt.str("server.address"), Some("127.0.0.1"));
    }
    assert_ne!(attempts[0].span_id(), attempts[1].span_id());
    assert_eq!(attempts[0].int("http.response.status_code"), Some(500));
    assert_eq!(attempts[0].str("outcome"), Some("retrying"));
    assert_eq!(attempts[0].status(), StatusCode::Error);
    assert_eq!(attempts[1].int("http.response.status_code"), Some(200));
    assert_eq!(attempts[1].str("outcome"), Some("succeeded"));
    assert_ne!(attempts[1].status(), StatusCode::Error);
    assert!(attempts[1].span.start_time_unix_nano >= attempts[0].span.end_time_unix_nano);

    // The other requests (account, key, app, subscription, delivery reads) are traces of their own.
    let others: HashMap<String, usize> = spans
        .iter()
        .filter(|s| s.trace_id() != CLIENT_TRACE)
        .fold(HashMap::new(), |mut m, s| {
            *m.entry(s.span.name.clone()).or_default() += 1;
            m
        });
    assert!(
        others.contains_key("POST /api/v1/apps/{app}/subscriptions")
            && others.contains_key("GET /api/v1/deliveries/{delivery}"),
        "{others:?}"
    );
}

async fn without_an_endpoint_nothing_is_exported_or_stored(backend: Backend) {
    let Some((collector, storage, event, _)) = publish_with_a_retry(backend, Run::Untraced).await
    else {
        return;
    };
    assert_eq!(*collector.requests.lock().unwrap(), 0);
    assert_eq!(stored_traceparent(&storage, &event).await, None);
}

/// With the spans' target on in the logs, a delivery's attempts can be followed there: each attempt's
/// line carries its span's fields, and nothing is exported or stored for traces.
async fn a_delivery_can_be_followed_in_the_logs(backend: Backend) {
    let Some((collector, storage, event, delivery)) =
        publish_with_a_retry(backend, Run::Logged).await
    else {
        return;
    };
    assert_eq!(*collector.requests.lock().unwrap(), 0);
    assert_eq!(stored_traceparent(&storage, &event).await, None);
    let logged = std::fs::read_to_string(storage.dir.path().join("stderr.log")).expect("log");
    let attempts: Vec<&str> = logged
        .lines()
        .filter(|line| line.contains("attempt finished"))
        .collect();
    assert_eq!(attempts.len(), 2, "{logged}");
    for (n, (line, outcome)) in attempts.iter().zip(["retrying", "succeeded"]).enumerate() {
        let context = line.split(": ").next().unwrap_or_default();
        for field in [
            format!("delivery.id={delivery}"),
            format!("event.id={event}"),
            format!("attempt={}", n + 1),
            "event.type=order.created".to_owned(),
            "subscription.id=sub_".to_owned(),
        ] {
            assert!(context.contains(&field), "no {field} in the span of {line}");
        }
        assert!(line.contains(&format!("outcome=\"{outcome}\"")), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_and_its_attempts_are_one_trace_sqlite() {
    a_publish_and_its_attempts_are_one_trace(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_and_its_attempts_are_one_trace_postgres() {
    a_publish_and_its_attempts_are_one_trace(Backend::Postgres).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_endpoint_nothing_is_exported_or_stored_sqlite() {
    without_an_endpoint_nothing_is_exported_or_stored(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_endpoint_nothing_is_exported_or_stored_postgres() {
    without_an_endpoint_nothing_is_exported_or_stored(Backend::Postgres).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_can_be_followed_in_the_logs_sqlite() {
    a_delivery_can_be_followed_in_the_logs(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_can_be_followed_in_the_logs_postgres() {
    a_delivery_can_be_followed_in_the_logs(Backend::Postgres).await
}
