//! Abusive API clients: an account flooding the API is refused with 429 and `Retry-After` while another
//! account's publishes keep their latency; an account over its rate is refused the same way; deeply
//! nested JSON and a body sent too slowly end with clear errors, never a hang.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::both_backends_with;
use crate::helpers::{TestApp, LOAD};

both_backends_with!(small_fair_share => a_flooding_account_is_throttled_and_others_keep_their_latency);
both_backends_with!(rate_of_twenty => an_account_over_its_rate_is_refused_until_it_refills);
both_backends_with!(short_timeout => deep_json_and_slow_bodies_end_with_clear_errors);

fn small_fair_share(c: &mut hookd::config::Config) {
    c.account_concurrency = 4;
}

fn rate_of_twenty(c: &mut hookd::config::Config) {
    c.account_rate_limit = 20;
}

fn short_timeout(c: &mut hookd::config::Config) {
    c.request_timeout_ms = 1_000;
}

/// The median of `durations`.
fn median(mut durations: Vec<Duration>) -> Duration {
    durations.sort();
    durations[durations.len() / 2]
}

async fn a_flooding_account_is_throttled_and_others_keep_their_latency(app: TestApp) {
    const FLOODERS: usize = 32;
    // Measures latency: runs while no load-heavy test does.
    let _quiet = LOAD.write().await;
    let (flooder, quiet) = (app.tenant().await, app.tenant().await);
    for t in [&flooder, &quiet] {
        app.post("/api/v1/apps", &t.token, json!({ "id": "shop" }))
            .await
            .expect(201);
    }
    let publish = |token: String| {
        let http = app.http.clone();
        let url = format!("{}/api/v1/apps/shop/events", app.base);
        async move {
            let started = Instant::now();
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "type": "t", "payload": { "x": 1 } }))
                .send()
                .await
                .unwrap();
            let retry_after = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let status = r.status().as_u16();
            let body: serde_json::Value = r.json().await.unwrap();
            (status, retry_after, body, started.elapsed())
        }
    };
    let mut alone = Vec::new();
    for _ in 0..30 {
        let (status, _, _, took) = publish(quiet.token.clone()).await;
        assert_eq!(status, 201);
        alone.push(took);
    }

    let stop = Instant::now() + Duration::from_secs(3);
    let floods: Vec<_> = (0..FLOODERS)
        .map(|_| {
            let http = app.http.clone();
            let url = format!("{}/api/v1/apps/shop/events", app.base);
            let token = flooder.token.clone();
            tokio::spawn(async move {
                let (mut accepted, mut refused, mut retry_after) = (0usize, 0usize, None);
                while Instant::now() < stop {
                    let r = http
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({ "type": "t", "payload": { "flood": true } }))
                        .send()
                        .await
                        .unwrap();
                    match r.status().as_u16() {
                        201 => accepted += 1,
                        429 => {
                            refused += 1;
                            retry_after = r
                                .headers()
                                .get("retry-after")
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned);
                            let body: serde_json::Value = r.json().await.unwrap();
                            assert_eq!(body["error"]["code"], "rate_limited", "{body}");
                        }
                        other => panic!("flooding publish answered {other}"),
                    }
                }
                (accepted, refused, retry_after)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut during = Vec::new();
    while Instant::now() + Duration::from_millis(200) < stop {
        let (status, _, body, took) = publish(quiet.token.clone()).await;
        assert_eq!(status, 201, "the quiet account was refused: {body}");
        during.push(took);
    }
    let (mut accepted, mut refused, mut retry_after) = (0, 0, None);
    for flood in floods {
        let (a, r, ra) = flood.await.unwrap();
        accepted += a;
        refused += r;
        retry_after = retry_after.or(ra);
    }
    let (alone, during_median) = (median(alone), median(during.clone()));
    eprintln!(
        "flood: {accepted} accepted, {refused} refused; quiet account's median publish {alone:?} alone, \
         {during_median:?} during the flood ({} publishes)",
        during.len()
    );
    assert!(refused > 0, "the flood was never throttled");
    assert_eq!(retry_after.as_deref(), Some("1"));
    assert!(accepted > 0, "the flooder's fair share was refused too");
    // The quiet account's publishes wait behind at most the flooder's four admitted requests; on two
    // cores shared with the flooding client they slow somewhat, not by the flood's size.
    assert!(
        during_median < alone * 10 + Duration::from_millis(20),
        "the quiet account's median publish went from {alone:?} to {during_median:?}"
    );
}

async fn an_account_over_its_rate_is_refused_until_it_refills(app: TestApp) {
    let _quiet = LOAD.write().await;
    let (busy, other) = (app.tenant().await, app.tenant().await);
    let started = Instant::now();
    let mut statuses = Vec::new();
    let mut refusal = None;
    for n in 0..40 {
        let r = app
            .post(
                "/api/v1/apps",
                &busy.token,
                json!({ "id": format!("a{n}") }),
            )
            .await;
        if r.status == 429 && refusal.is_none() {
            refusal = Some(r.expect_error(429, "rate_limited"));
        } else {
            statuses.push(r.status.as_u16());
        }
    }
    let took = started.elapsed();
    let created = statuses.iter().filter(|s| **s == 201).count();
    // One second's worth at once, then 20 more per second of the loop.
    let bound = 20 + (took.as_secs_f64() * 20.0).ceil() as usize;
    assert!(
        (20..=bound).contains(&created),
        "{created} of 40 calls in {took:?} admitted at 20/s"
    );
    let refusal = refusal.expect("40 calls at once were never refused at 20/s");
    assert_eq!(refusal.headers["retry-after"], "1");
    assert!(refusal.message().contains("rate"), "{}", refusal.text);
    // Another account has its own budget; the refused one gets in again once the bucket refills.
    app.post("/api/v1/apps", &other.token, json!({ "id": "b" }))
        .await
        .expect(201);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    app.post("/api/v1/apps", &busy.token, json!({ "id": "later" }))
        .await
        .expect(201);
}

async fn deep_json_and_slow_bodies_end_with_clear_errors(app: TestApp) {
    let t = app.tenant().await;
    app.post("/api/v1/apps", &t.token, json!({ "id": "shop" }))
        .await
        .expect(201);
    // 10 000 levels of nesting: refused by the parser's depth limit, not by a stack overflow.
    let deep = format!(
        r#"{{"type":"t","payload":{}{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let r = app
        .http
        .post(format!("{}/api/v1/apps/shop/events", app.base))
        .bearer_auth(&t.token)
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "malformed_json", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("recursion limit"),
        "{body}"
    );

    // A body announced as 100 bytes of which 10 arrive: the request ends after the 1 s timeout.
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/apps/shop/events HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"type\":\"t",
        t.token
    );
    let started = Instant::now();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                break;
            }
        }
    })
    .await;
    let took = started.elapsed();
    assert!(read.is_ok(), "no answer 10 s after a stalled body");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "answered after {took:?}"
    );
}
