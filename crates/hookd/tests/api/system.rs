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

/// With `tls_cert`/`tls_key` the listener speaks HTTPS (and only HTTPS).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_with_configured_certificate() {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |c| {
        c.tls_cert = Some(cert_path.clone());
        c.tls_key = Some(key_path.clone());
    })
    .await
    .unwrap();
    let https = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let url = app.base.replace("http://", "https://");
    let res = https.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
    assert!(
        app.http
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .is_err(),
        "plain HTTP is refused"
    );
}
