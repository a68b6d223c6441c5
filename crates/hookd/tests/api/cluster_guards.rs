//! The guards several nodes on one PostgreSQL database must share: a subscription's `rate_limit` paces
//! its deliveries across all nodes together, a dialect action's request rate is counted across all
//! nodes, and a signed dialect request's nonce is single-use on every node.

use std::{collections::BTreeMap, time::Duration};

use serde_json::json;

use crate::cluster::start_nodes;
use crate::helpers::{post_to, sigkill, Backend, Receiver, Storage};

/// A subscription limited to 10/s receives at most 10 (±1 at a second's edge) in any second although
/// three nodes deliver it; per-node pacing would let 30 through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacing_holds_across_nodes() {
    const EVENTS: usize = 60;
    const RATE: usize = 10;
    let _load = crate::helpers::LOAD.read().await;
    let Some(storage) = Storage::new(Backend::Postgres).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let http = reqwest::Client::new();
    let (mut children, bases) = start_nodes(&http, &storage).await;
    let token = crate::helpers::child_tenant(&http, &bases[0], "paced").await;
    post_to(
        &http,
        &bases[0],
        &token,
        "/api/v1/apps",
        json!({ "id": "shop" }),
    )
    .await;
    post_to(
        &http,
        &bases[0],
        &token,
        "/api/v1/apps/shop/subscriptions",
        json!({ "url": receiver.url, "rate_limit": RATE }),
    )
    .await;
    for n in 0..EVENTS {
        post_to(
            &http,
            &bases[n % bases.len()],
            &token,
            "/api/v1/apps/shop/events",
            json!({ "type": "t", "payload": { "n": n } }),
        )
        .await;
    }
    let got = receiver.wait_for(EVENTS, Duration::from_secs(60)).await;
    for child in &mut children {
        sigkill(child);
    }
    assert_eq!(got.len(), EVENTS, "every event arrives");
    let first = got[0].at;
    let mut per_second = BTreeMap::<u64, usize>::new();
    for r in &got {
        *per_second
            .entry(r.at.duration_since(first).as_secs())
            .or_default() += 1;
    }
    let busiest = per_second.values().copied().max().unwrap();
    assert!(
        busiest <= RATE + 1,
        "{busiest} requests in one second at {RATE}/s over three nodes: {per_second:?}"
    );
    let spread = got[EVENTS - 1].at.duration_since(first);
    assert!(
        spread >= Duration::from_millis(5_400),
        "{EVENTS} events at {RATE}/s take about 5.9 s, not {spread:?}"
    );
    assert!(receiver.overlaps().is_empty());
}

/// A CAMS UpdateAccountWebhook call signed with the RPC (v1) signature, as a query string.
fn signed_update(key_id: &str, secret: &str, nonce: &str) -> String {
    let params = [
        ("StatusCallbackUrl", "http://127.0.0.1:9/status"),
        ("HttpFlag", "Y"),
    ];
    crate::dialect_requests::form(&crate::dialect_requests::rpc_signed_with_nonce(
        "GET",
        (key_id, secret),
        &params,
        nonce,
    ))
}

/// CAMS allows 10 UpdateAccountWebhook calls per second per account: a burst of 30 spread over three
/// nodes within one second gets exactly 10 through, not 10 per node. A signed request accepted by one node
/// is a replay on the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dialect_rates_and_nonces_hold_across_nodes() {
    const RATE: usize = 10;
    // Measures a burst against a one-second window: runs while no load-heavy test does.
    let _quiet = crate::helpers::LOAD.write().await;
    let Some(storage) = Storage::new(Backend::Postgres).await else {
        return;
    };
    let http = reqwest::Client::new();
    let (mut children, bases) = start_nodes(&http, &storage).await;
    let key = crate::helpers::child_key(&http, &bases[0], "rpc").await;
    let (key_id, secret) = (
        key["key_id"].as_str().unwrap(),
        key["secret"].as_str().unwrap(),
    );

    let started = std::time::Instant::now();
    let calls = (0..3 * RATE).map(|n| {
        let url = format!(
            "{}/?{}",
            bases[n % 3],
            signed_update(key_id, secret, &format!("burst-{n}"))
        );
        let http = http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            let status = r.status().as_u16();
            let body: serde_json::Value = r.json().await.unwrap();
            (status, body["Code"].as_str().unwrap_or_default().to_owned())
        }
    });
    let answers = futures_util::future::join_all(calls).await;
    let took = started.elapsed();
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    let throttled = answers
        .iter()
        .filter(|a| *a == &(429, "System.LimitControl".to_owned()))
        .count();
    assert_eq!(
        ok + throttled,
        answers.len(),
        "unexpected answers: {answers:?}"
    );
    // Within one second the sliding window lets exactly RATE through. A burst longer than that could
    // rightly get more through, so a slow burst proves nothing: it fails rather than widening the bound.
    eprintln!(
        "{ok} of {} calls allowed in a burst of {took:?}",
        answers.len()
    );
    let wrong = if took >= Duration::from_secs(1) {
        Some(format!(
            "the burst of {} calls took {took:?}: too slow to test a one-second window",
            answers.len()
        ))
    } else if ok != RATE {
        Some(format!(
            "{ok} of {} calls in {took:?} allowed at {RATE}/s over three nodes",
            answers.len()
        ))
    } else {
        None
    };
    if let Some(wrong) = wrong {
        for child in &mut children {
            sigkill(child);
        }
        panic!("{wrong}");
    }

    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let once = format!("?{}", signed_update(key_id, secret, "replayed-nonce"));
    let mut replies = Vec::new();
    for base in &bases {
        let r = http.get(format!("{base}/{once}")).send().await.unwrap();
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.unwrap();
        replies.push((status, body["Code"].as_str().unwrap_or_default().to_owned()));
    }
    for child in &mut children {
        sigkill(child);
    }
    assert_eq!(replies[0].0, 200, "the first use: {replies:?}");
    for reply in &replies[1..] {
        assert_eq!(
            reply,
            &(400, "SignatureNonceUsed".to_owned()),
            "a replay on another node: {replies:?}"
        );
    }
}
