//! Health, readiness, metrics and request ids.

use std::time::Duration;

use serde_json::json;

use crate::both_backends;
use crate::helpers::{Receiver, TestApp};

both_backends!(health_readiness_metrics);

async fn health_readiness_metrics(app: TestApp) {
    let h = app
        .send(reqwest::Method::GET, "/healthz", None, None, &[])
        .await
        .expect(200);
    assert_eq!(h.text, "ok");
    assert!(h.headers.contains_key("x-request-id"));
    let r = app
        .send(
            reqwest::Method::GET,
            "/readyz",
            None,
            None,
            &[("x-request-id", "trace-123")],
        )
        .await
        .expect(200);
    assert_eq!(
        r.headers["x-request-id"], "trace-123",
        "a caller's request id is echoed"
    );

    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    app.app_with_subscription(&t, &receiver.url).await;
    app.post(
        "/api/v1/apps/shop/events",
        &t.token,
        json!({ "type": "t", "payload": {} }),
    )
    .await
    .expect(201);
    receiver.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let m = app
        .send(reqwest::Method::GET, "/metrics", None, None, &[])
        .await
        .expect(200);
    for needle in [
        "hookd_queue_depth",
        "hookd_deliveries_total{outcome=\"succeeded\"}",
        "hookd_attempt_duration_seconds_bucket",
        "hookd_events_published_total",
    ] {
        assert!(
            m.text.contains(needle),
            "metrics lack {needle}:\n{}",
            m.text
        );
    }
}
