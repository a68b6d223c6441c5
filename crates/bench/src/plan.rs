//! What each scenario sets up in hookd (accounts, the app `bench` in each, subscriptions pointing at the
//! receiver) and what its events look like, and the setting up itself: many subscriptions or accounts are
//! created over several connections at once, so that setup takes seconds, not minutes.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

use anyhow::{Context, Result};
use bytes::Bytes;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    client::{Auth, Conn},
    server::{Hookd, ADMIN_TOKEN},
    Scenario,
};

/// An HTTP body the size of a small real event.
pub const PAYLOAD: &str = r#"{"order":{"id":"ord_01JD8Q6Y3M4K2Z","total":"129.90","currency":"EUR","items":3},"customer":{"id":"cus_5K2Z8Q","tier":"gold"},"shipping":{"method":"express","country":"DE"}}"#;

/// Subscriptions an app may hold unless its `max_subscriptions` says more.
const DEFAULT_MAX_SUBSCRIPTIONS: usize = 100;
/// How many subscriptions of `subs1k` and `subs10k` match each event.
const MATCHES_PER_EVENT: usize = 10;
/// The accounts of `accounts10k`.
const ACCOUNTS: usize = 10_000;
/// The callback timeout of `slow`'s hanging subscription.
const HANG_TIMEOUT_MS: u64 = 1_000;

/// What one scenario sets up and publishes.
pub struct Plan {
    scenario: Scenario,
    /// Accounts, each with the app `bench`.
    accounts: usize,
    /// The subscriptions' bodies; subscription `i` belongs to account `i % accounts`.
    subscriptions: Vec<Value>,
    /// Events are of type `t.<n % types>` when given, else all `order.created`.
    types: Option<usize>,
    /// The `data` of every event's payload, as JSON text.
    data: Arc<str>,
    /// `/ok/` callbacks per event.
    pub ok_per_event: usize,
    /// Subscriptions answered by `/ok/`.
    pub healthy_subs: usize,
}

impl Plan {
    /// The plan of `scenario` with subscriptions pointing at the receiver at `receiver`.
    pub fn new(scenario: Scenario, receiver: SocketAddr) -> Self {
        let url = |kind: &str, i: usize| format!("http://{receiver}/{kind}/{i}");
        let ok = |count: usize| -> Vec<Value> {
            (0..count).map(|i| json!({ "url": url("ok", i) })).collect()
        };
        let mut plan = Self {
            scenario,
            accounts: 1,
            subscriptions: Vec::new(),
            types: None,
            data: PAYLOAD.into(),
            ok_per_event: 0,
            healthy_subs: 0,
        };
        plan.subscriptions = match scenario {
            Scenario::E1 | Scenario::E1Schema | Scenario::Steady | Scenario::Soak => ok(1),
            Scenario::P10k => {
                plan.data = padded(10 * 1024).into();
                ok(1)
            }
            Scenario::P100k => {
                plan.data = padded(100 * 1024).into();
                ok(1)
            }
            Scenario::E10 => ok(10),
            Scenario::E10Filter => (0..10)
                .map(|i| json!({ "url": url("ok", i), "filter": bench_filter() }))
                .collect(),
            Scenario::E20 => ok(20),
            Scenario::E100 => ok(100),
            Scenario::Subs1k | Scenario::Subs10k => {
                let count = if scenario == Scenario::Subs1k {
                    1_000
                } else {
                    10_000
                };
                let types = count / MATCHES_PER_EVENT;
                plan.types = Some(types);
                (0..count)
                    .map(|i| json!({ "url": url("ok", i), "event_types": [format!("t.{}", i % types)] }))
                    .collect()
            }
            Scenario::Accounts10k => {
                plan.accounts = ACCOUNTS;
                ok(ACCOUNTS)
            }
            Scenario::Fanout => (0..10)
                .map(|i| match i {
                    0..5 => json!({ "url": url("slow", i) }),
                    5 => json!({ "url": url("fail", i) }),
                    _ => json!({ "url": url("ok", i) }),
                })
                .collect(),
            Scenario::Slow => (0..20)
                .map(|i| match i {
                    0..18 => json!({ "url": url("ok", i) }),
                    18 => json!({ "url": url("slow2", i) }),
                    _ => json!({ "url": url("hang", i), "timeout_ms": HANG_TIMEOUT_MS }),
                })
                .collect(),
            Scenario::Baseline => unreachable!("the baseline runs no hookd"),
        };
        plan.healthy_subs = plan
            .subscriptions
            .iter()
            .filter(|s| s["url"].as_str().is_some_and(|u| u.contains("/ok/")))
            .count();
        // Every event goes to one account and is of one type, which that share of the healthy
        // subscriptions match.
        plan.ok_per_event = plan.healthy_subs / (plan.accounts * plan.types.unwrap_or(1));
        plan
    }

    /// Sets the plan up in `hookd` over `concurrency` connections spread over its nodes; returns where and
    /// as whom to publish.
    pub async fn setup(&self, hookd: &Hookd, concurrency: usize) -> Result<Events> {
        let addrs = hookd.addrs();
        let targets = self.accounts(&addrs, concurrency).await?;
        let mut app = json!({ "id": "bench" });
        // Settings only where a scenario needs them, so that the plain scenarios run against older builds.
        if self.subscriptions.len() / self.accounts > DEFAULT_MAX_SUBSCRIPTIONS {
            app["max_subscriptions"] = json!(self.subscriptions.len() / self.accounts);
        }
        if self.scenario == Scenario::E1Schema {
            app["schema_validation"] = json!("enforce");
        }
        let apps = targets
            .iter()
            .map(|auth| Post::new("/api/v1/apps", auth, app.clone()))
            .collect();
        post_all(&addrs, concurrency, apps).await?;
        if self.scenario == Scenario::E1Schema {
            let event_type = json!({ "name": "order.created", "schema": bench_schema() });
            let post = Post::new("/api/v1/apps/bench/event-types", &targets[0], event_type);
            post_all(&addrs, 1, vec![post]).await?;
        }
        let subscriptions = self
            .subscriptions
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let auth = &targets[i % targets.len()];
                Post::new("/api/v1/apps/bench/subscriptions", auth, body.clone())
            })
            .collect();
        post_all(&addrs, concurrency, subscriptions).await?;
        Ok(Events {
            targets: targets.into(),
            types: self.types,
            data: self.data.clone(),
        })
    }

    /// The accounts and whom to act as in each: one account with a key of its own (how a tenant
    /// publishes), or many acted in by the admin token (`Hookd-Account`).
    async fn accounts(&self, addrs: &[SocketAddr], concurrency: usize) -> Result<Vec<Auth>> {
        let admin = Auth::token(ADMIN_TOKEN);
        if self.accounts == 1 {
            let mut conn = Conn::open(addrs[0]).await?;
            let created = StatusCode::CREATED;
            let account = conn
                .json(
                    Method::POST,
                    "/api/v1/accounts",
                    &admin,
                    json!({ "name": "bench" }),
                    created,
                )
                .await?;
            let account = account["id"].as_str().context("account without id")?;
            let key = conn
                .json(
                    Method::POST,
                    &format!("/api/v1/accounts/{account}/keys"),
                    &admin,
                    json!({ "policy": ["*"] }),
                    created,
                )
                .await?;
            let token = key["token"].as_str().context("key without token")?;
            return Ok(vec![Auth::token(token)]);
        }
        let posts = (0..self.accounts)
            .map(|i| {
                Post::new(
                    "/api/v1/accounts",
                    &admin,
                    json!({ "name": format!("bench-{i}") }),
                )
            })
            .collect();
        post_all(addrs, concurrency, posts)
            .await?
            .iter()
            .map(|account| {
                let id = account["id"].as_str().context("account without id")?;
                Ok(Auth::in_account(ADMIN_TOKEN, id))
            })
            .collect()
    }
}

/// Whom event `n` is published as, and its body.
#[derive(Clone)]
pub struct Events {
    /// Event `n` goes into the app `bench` of `targets[n % targets.len()]`.
    targets: Arc<[Auth]>,
    types: Option<usize>,
    data: Arc<str>,
}

impl Events {
    pub fn auth(&self, n: usize) -> &Auth {
        &self.targets[n % self.targets.len()]
    }

    /// Event `n`'s body: its type and the payload `{"n": n, "data": …}`, unique per event.
    pub fn body(&self, n: usize) -> Bytes {
        let data = &self.data;
        Bytes::from(match self.types {
            Some(types) => format!(
                r#"{{"type":"t.{}","payload":{{"n":{n},"data":{data}}}}}"#,
                n % types
            ),
            None => format!(r#"{{"type":"order.created","payload":{{"n":{n},"data":{data}}}}}"#),
        })
    }
}

/// One setup request: POST `path` as `auth` with `body`, which must answer 201.
struct Post {
    path: &'static str,
    auth: Auth,
    body: Value,
}

impl Post {
    fn new(path: &'static str, auth: &Auth, body: Value) -> Self {
        Self {
            path,
            auth: auth.clone(),
            body,
        }
    }
}

/// Sends `posts` over `concurrency` connections spread over `addrs`; returns the answers in order.
async fn post_all(
    addrs: &[SocketAddr],
    concurrency: usize,
    posts: Vec<Post>,
) -> Result<Vec<Value>> {
    let posts: Arc<[Post]> = posts.into();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for worker in 0..concurrency.min(posts.len()) {
        let (posts, next, addr) = (posts.clone(), next.clone(), addrs[worker % addrs.len()]);
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let mut answers = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(post) = posts.get(i) else {
                    break;
                };
                let answer = conn
                    .json(
                        Method::POST,
                        post.path,
                        &post.auth,
                        post.body.clone(),
                        StatusCode::CREATED,
                    )
                    .await?;
                answers.push((i, answer));
            }
            anyhow::Ok(answers)
        }));
    }
    let mut answers = Vec::with_capacity(posts.len());
    for task in tasks {
        answers.extend(task.await??);
    }
    answers.sort_unstable_by_key(|(i, _)| *i);
    Ok(answers.into_iter().map(|(_, answer)| answer).collect())
}

/// `PAYLOAD` with a `"pad"` string that makes it `size` bytes long.
fn padded(size: usize) -> String {
    let frame = r#","pad":""}"#;
    let len = size.saturating_sub(PAYLOAD.len() - 1 + frame.len());
    let pad: String = ('a'..='z').cycle().take(len).collect();
    format!(r#"{},"pad":"{pad}"}}"#, &PAYLOAD[..PAYLOAD.len() - 1])
}

/// The schema of the events' payload (`{"n", "data": PAYLOAD}`) that `e1-schema` validates against:
/// required fields, types, patterns, enums and bounds, as a team would write for an order event.
fn bench_schema() -> Value {
    let text = |pattern: &str| json!({"type": "string", "pattern": pattern});
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["n", "data"],
        "properties": {
            "n": {"type": "integer", "minimum": 0},
            "data": {
                "type": "object",
                "required": ["order", "customer", "shipping"],
                "properties": {
                    "order": {
                        "type": "object",
                        "required": ["id", "total", "currency", "items"],
                        "properties": {
                            "id": text("^ord_[0-9A-Z]{14}$"),
                            "total": text("^[0-9]+\\.[0-9]{2}$"),
                            "currency": {"enum": ["EUR", "USD", "GBP", "JPY"]},
                            "items": {"type": "integer", "minimum": 1, "maximum": 1000}
                        },
                        "additionalProperties": false
                    },
                    "customer": {
                        "type": "object",
                        "required": ["id"],
                        "properties": {"id": text("^cus_"), "tier": {"enum": ["basic", "silver", "gold"]}}
                    },
                    "shipping": {
                        "type": "object",
                        "properties": {
                            "method": {"enum": ["standard", "express"]},
                            "country": {"type": "string", "minLength": 2, "maxLength": 2}
                        }
                    }
                }
            }
        }
    })
}

/// The payload filter of every `e10-filter` subscription: three conditions the events all meet.
fn bench_filter() -> Value {
    json!({
        "data.order.currency": {"$in": ["EUR", "USD"]},
        "data.shipping.country": "DE",
        "data.customer.tier": {"$ne": "blocked"}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_to_the_size_as_json() {
        for size in [10 * 1024, 100 * 1024] {
            let data = padded(size);
            assert_eq!(data.len(), size);
            let value: Value = serde_json::from_str(&data).expect("valid JSON");
            assert_eq!(value["order"]["currency"], "EUR");
        }
    }

    #[test]
    fn counts_the_callbacks_each_event_makes() {
        let receiver: SocketAddr = ([127, 0, 0, 1], 9).into();
        let per_event = |s| {
            let plan = Plan::new(s, receiver);
            (plan.ok_per_event, plan.healthy_subs)
        };
        assert_eq!(per_event(Scenario::E1), (1, 1));
        assert_eq!(per_event(Scenario::E100), (100, 100));
        assert_eq!(per_event(Scenario::Subs1k), (10, 1_000));
        assert_eq!(per_event(Scenario::Subs10k), (10, 10_000));
        assert_eq!(per_event(Scenario::Accounts10k), (1, 10_000));
        assert_eq!(per_event(Scenario::Slow), (18, 18));
        assert_eq!(per_event(Scenario::Fanout), (4, 4));
    }
}
