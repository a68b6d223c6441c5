//! The real `hookd` binary under a storage fault: started, loaded, checked, killed and restarted.

use std::{
    collections::{HashMap, HashSet},
    future::Future,
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::helpers::{
    child_key, child_shop, sigkill, start_child, wait_ready, Receiver, Storage, ADMIN_TOKEN,
};

use super::*;

/// A running `hookd` with a tenant, an app `shop` and one subscription to `receiver`.
pub(super) struct Server {
    pub(super) storage: Storage,
    pub(super) child: std::process::Child,
    pub(super) base: String,
    pub(super) token: String,
    /// The tenant's key as `(key_id, secret)`, for signed dialect calls.
    pub(super) key: (String, String),
    pub(super) http: reqwest::Client,
}

/// A write other than a publish made during a fault, and whether it was accepted.
#[derive(Debug)]
pub(super) enum Write {
    /// A native subscription to this URL.
    Subscription(String, bool),
    /// An account of this name, made with the admin token.
    Account(String, bool),
    /// An ESS callback URL added through the Tencent dialect.
    EssCallback(String, bool),
}

impl Drop for Server {
    /// A failed assertion must not leave the server running (it would hold the test's output open).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub(super) async fn start(storage: Storage, receiver: &Receiver) -> Self {
        let http = reqwest::Client::new();
        let (mut child, base) = start_child(&storage);
        wait_ready(&http, &base, &mut child).await;
        let created = child_key(&http, &base, "faults").await;
        let token = created["token"].as_str().unwrap().to_owned();
        let key = (
            created["key_id"].as_str().unwrap().to_owned(),
            created["secret"].as_str().unwrap().to_owned(),
        );
        child_shop(&http, &base, &token, json!({ "url": receiver.url })).await;
        Self {
            storage,
            child,
            base,
            token,
            key,
            http,
        }
    }

    /// Makes a subscription, an account and an ESS callback (each answered 2xx, or 503 / the vendor's
    /// `ServiceUnavailable` for a storage fault; nothing else).
    pub(super) async fn other_writes(&self, round: &str, receiver: &Receiver) -> Vec<Write> {
        let url = format!("{}/{round}", receiver.url);
        let r = self
            .http
            .post(format!("{}/api/v1/apps/shop/subscriptions", self.base))
            .bearer_auth(&self.token)
            .json(&json!({ "url": url }))
            .send()
            .await
            .unwrap();
        let subscription = Write::Subscription(url, accepted(r, round).await);
        let name = format!("{round}-account");
        let r = self
            .http
            .post(format!("{}/api/v1/accounts", self.base))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({ "name": name }))
            .send()
            .await
            .unwrap();
        let account = Write::Account(name, accepted(r, round).await);
        let ess_url = format!("http://127.0.0.1:9/{round}");
        let key = (self.key.0.as_str(), self.key.1.as_str());
        let answer =
            crate::ess::modify_at(&self.http, &self.base, key, "operator", 1, &ess_url).await;
        let ess = match answer["Error"]["Code"].as_str() {
            None => Write::EssCallback(ess_url, true),
            Some("ServiceUnavailable") => Write::EssCallback(ess_url, false),
            Some(other) => panic!("{round}: the ESS dialect answered {other}: {answer}"),
        };
        vec![subscription, account, ess]
    }

    /// GETs `url` with `token`; panics unless it answers 2xx with JSON.
    pub(super) async fn get_json(&self, url: &str, token: &str) -> Value {
        self.http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// A list route's `field` values (first 100 items).
    pub(super) async fn listed(&self, path: &str, token: &str, field: &str) -> HashSet<String> {
        let list = self
            .get_json(&format!("{}{path}?limit=100", self.base), token)
            .await;
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|item| item[field].as_str().map(str::to_owned))
            .collect()
    }

    /// Every accepted write is stored, no refused one is.
    pub(super) async fn check_writes(&self, writes: &[Write], when: &str) {
        let subscriptions = self
            .listed("/api/v1/apps/shop/subscriptions", &self.token, "url")
            .await;
        let accounts = self.listed("/api/v1/accounts", ADMIN_TOKEN, "name").await;
        let ess = self
            .listed("/api/v1/apps/ess/subscriptions", &self.token, "url")
            .await;
        for write in writes {
            let (stored, accepted) = match write {
                Write::Subscription(url, accepted) => (subscriptions.contains(url), *accepted),
                Write::Account(name, accepted) => (accounts.contains(name), *accepted),
                Write::EssCallback(url, accepted) => (ess.contains(url), *accepted),
            };
            assert_eq!(
                stored, accepted,
                "{when}: {write:?} accepted but stored is {stored}"
            );
        }
    }

    pub(super) fn stop(&mut self) {
        sigkill(&mut self.child);
    }

    pub(super) async fn restart(&mut self) {
        self.stop();
        self.start_again().await;
    }

    /// Starts the binary again on the same storage, after `stop`.
    pub(super) async fn start_again(&mut self) {
        let (mut child, base) = start_child(&self.storage);
        wait_ready(&self.http, &base, &mut child).await;
        self.child = child;
        self.base = base;
    }

    /// The `seq` of every stored event of `shop`, by event id.
    pub(super) async fn stored(&self) -> HashMap<String, String> {
        let mut stored = HashMap::new();
        let mut cursor: Option<String> = None;
        for _ in 0..100_000 {
            let mut url = format!("{}/api/v1/apps/shop/events?limit=100", self.base);
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page = self.get_json(&url, &self.token).await;
            for event in page["data"].as_array().unwrap() {
                stored.insert(
                    event["id"].as_str().unwrap().to_owned(),
                    event["payload"]["seq"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return stored,
            }
        }
        panic!("more than 100 000 pages of events");
    }

    /// Every acknowledged event is readable by id, stored and delivered; nothing refused is stored
    /// (returns how many refused ones were stored all the same: commits whose answer was lost).
    pub(super) async fn check(
        &self,
        outcomes: &[Outcome],
        receiver: &Receiver,
        when: &str,
    ) -> usize {
        let unexpected: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| !matches!(o.status, None | Some(201) | Some(503)))
            .collect();
        assert!(
            unexpected.is_empty(),
            "{when}: publishes answered neither 201 nor 503: {:?}",
            &unexpected[..unexpected.len().min(5)]
        );
        let acked: Vec<&Outcome> = outcomes.iter().filter(|o| o.status == Some(201)).collect();
        for o in &acked {
            let id = o.id.as_deref().unwrap();
            let r = self
                .http
                .get(format!("{}/api/v1/apps/shop/events/{id}", self.base))
                .bearer_auth(&self.token)
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status(),
                200,
                "{when}: acknowledged event {id} ({}) is not readable",
                o.seq
            );
        }
        let stored = self.stored().await;
        let stored_seqs: HashSet<&str> = stored.values().map(String::as_str).collect();
        let refused_stored = outcomes
            .iter()
            .filter(|o| o.status == Some(503) && stored_seqs.contains(o.seq.as_str()))
            .count();
        let known: HashSet<&str> = outcomes.iter().map(|o| o.seq.as_str()).collect();
        assert!(
            stored_seqs.iter().all(|s| known.contains(s)),
            "{when}: stored events nobody published"
        );
        let acked_ids: HashSet<&str> = acked.iter().map(|o| o.id.as_deref().unwrap()).collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let received: HashSet<String> = receiver
                .requests()
                .iter()
                .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
                .collect();
            let missing = acked_ids
                .iter()
                .filter(|id| !received.contains(**id))
                .count();
            if missing == 0 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{when}: {missing} of {} acknowledged events were never delivered",
                acked_ids.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        refused_stored
    }
}

/// Whether a write was accepted (2xx) or refused for a storage fault (503 `storage_unavailable` with
/// `Retry-After`); anything else fails the test.
pub(super) async fn accepted(r: reqwest::Response, when: &str) -> bool {
    let status = r.status().as_u16();
    if status < 300 {
        return true;
    }
    let retry_after = r.headers().contains_key("retry-after");
    let body: Value = r.json().await.unwrap_or_default();
    assert!(
        status == 503 && body["error"]["code"] == "storage_unavailable" && retry_after,
        "{when}: a write answered {status} {body}"
    );
    false
}

/// The whole scenario around one fault: load, `inject`, refusals and `/readyz` 503, `clear`, recovery
/// and `/readyz` 200, the checks, then `kill -9`, restart and the checks again.
pub(super) async fn survive<I, C, FI, FC>(
    server: &mut Server,
    receiver: &Receiver,
    name: &str,
    kinds: &[&str],
    inject: I,
    clear: C,
) -> usize
where
    I: FnOnce() -> FI,
    C: FnOnce() -> FC,
    FI: Future<Output = ()>,
    FC: Future<Output = ()>,
{
    let load = Load::start(&server.http, &server.base, &server.token, name);
    load.until_refused(server, inject(), kinds, name).await;
    let writes = server.other_writes(name, receiver).await;
    eprintln!("{name}: other writes during the fault: {writes:?}");
    let cleared = Instant::now();
    clear().await;
    load.wait_for(201, 100, 60, "after the fault").await;
    load.wait_ready_status(200, cleared, 30).await;
    let outcomes = load.stop().await;
    let statuses = statuses(&outcomes);
    let lost_answers = server.check(&outcomes, receiver, name).await;
    server.check_writes(&writes, name).await;
    server.restart().await;
    server
        .check_writes(&writes, &format!("{name}, after kill -9"))
        .await;
    let after_restart = server
        .check(&outcomes, receiver, &format!("{name}, after kill -9"))
        .await;
    assert_eq!(lost_answers, after_restart);
    eprintln!("{name}: publishes by status {statuses:?}; refused but stored: {lost_answers}");
    lost_answers
}
