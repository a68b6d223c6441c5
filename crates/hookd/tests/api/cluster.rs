//! Several nodes on one PostgreSQL database: three real `hookd` processes share the work of 20 000
//! events published across all of them; one is killed with SIGKILL mid-run and started again later.
//! Every acknowledged event reaches the receiver, and no delivery is ever being attempted by two nodes at
//! once (the receiver sees no request arrive while another with the same `webhook-id` is being answered).
//! Beyond that window, a delivery is sent twice only if the killed node held its lease when it died, and a
//! graceful (SIGTERM) rolling restart sends nothing twice.

use std::{
    collections::{HashMap, HashSet},
    process::Child,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::json;
use sqlx::Connection;

use crate::helpers::{
    child_command, child_shop, child_tenant, post_to, sigkill, start_child, start_child_with,
    terminate, wait_ready, Answer, Backend, Receiver, Storage,
};

const NODES: usize = 3;
const EVENTS: usize = 20_000;
const PUBLISHERS: usize = 16;
/// Every answer takes this long, so that attempts overlap in time and a second concurrent attempt of
/// the same delivery would be seen.
const ANSWER_DELAY: Duration = Duration::from_millis(50);

/// The nodes' base URLs; `None` while a node is down.
type Nodes = Arc<Mutex<Vec<Option<String>>>>;

/// Starts `NODES` nodes on `storage`'s database, one after another; returns them with their base URLs.
pub async fn start_nodes(http: &reqwest::Client, storage: &Storage) -> (Vec<Child>, Vec<String>) {
    start_nodes_with(http, storage, &[]).await
}

/// `start_nodes` with more environment variables.
async fn start_nodes_with(
    http: &reqwest::Client,
    storage: &Storage,
    env: &[(&str, &str)],
) -> (Vec<Child>, Vec<String>) {
    let (children, bases, _) = start_named_nodes(http, storage, env).await;
    (children, bases)
}

/// `start_nodes_with`, also returning each node's id (the `lease_owner` of the deliveries it holds).
async fn start_named_nodes(
    http: &reqwest::Client,
    storage: &Storage,
    env: &[(&str, &str)],
) -> (Vec<Child>, Vec<String>, Vec<String>) {
    let mut children = Vec::new();
    let mut bases = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..NODES {
        let (child, base, id) = start_named_node(http, storage, env).await;
        children.push(child);
        bases.push(base);
        ids.push(id);
    }
    (children, bases, ids)
}

/// Starts a node (with `env` added) and waits until it is ready; returns it with its base URL and its node
/// id, which it logs once when its dispatcher starts (its other log lines are passed on to the test's
/// stderr).
async fn start_named_node(
    http: &reqwest::Client,
    storage: &Storage,
    env: &[(&str, &str)],
) -> (Child, String, String) {
    use std::io::BufRead;
    let mut env = env.to_vec();
    env.push(("RUST_LOG", "warn,hookd::delivery::dispatcher=info"));
    let (mut command, base) = child_command(
        std::process::Command::new(env!("CARGO_BIN_EXE_hookd")),
        storage,
        &env,
    );
    let mut child = command
        .arg("serve")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start hookd");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tell, told) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            let id = line
                .contains("dispatcher started")
                .then(|| line.find("node_"))
                .flatten()
                .map(|at| {
                    line[at..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect::<String>()
                });
            match id {
                Some(id) => {
                    let _ = tell.send(id);
                }
                None => eprintln!("{line}"),
            }
        }
    });
    wait_ready(http, &base, &mut child).await;
    let id = tokio::task::spawn_blocking(move || told.recv_timeout(Duration::from_secs(30)))
        .await
        .unwrap()
        .expect("the node logs its id when its dispatcher starts");
    (child, base, id)
}

/// Publishes event `n` of publisher `p` with an idempotency key, to one node after another until one
/// acknowledges it; returns the event id, or `None` if 50 tries failed.
async fn publish(
    http: &reqwest::Client,
    nodes: &Nodes,
    token: &str,
    p: usize,
    n: usize,
) -> Option<String> {
    let key = format!("cluster-{p}-{n}");
    for attempt in 0..50 {
        let base = {
            let nodes = nodes.lock().unwrap();
            let up: Vec<&String> = nodes.iter().flatten().collect();
            up[(p + n + attempt) % up.len()].clone()
        };
        let sent = http
            .post(format!("{base}/api/v1/apps/shop/events"))
            .bearer_auth(token)
            .header("Idempotency-Key", &key)
            .json(&json!({ "type": "order.created", "payload": { "p": p, "n": n } }))
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        if let Ok(r) = sent {
            // 201 the first time, 200 when an earlier try was committed but its answer lost.
            if r.status() == 201 || r.status() == 200 {
                if let Ok(body) = r.json::<serde_json::Value>().await {
                    return body["id"].as_str().map(str::to_owned);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// The deliveries being attempted or waiting in a node's memory now: event id → lease owner (one
/// subscription, so one delivery per event).
async fn leases(db: &mut sqlx::PgConnection) -> HashMap<String, String> {
    sqlx::query_as::<_, (String, String)>(
        "SELECT event_id, lease_owner FROM deliveries WHERE status = 'delivering' AND lease_owner IS NOT NULL",
    )
    .fetch_all(db)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

/// The ids that occur more than once in `received`, with how often each occurs.
fn repeats(received: &[String]) -> HashMap<String, usize> {
    let mut counts = HashMap::<String, usize>::new();
    for id in received {
        *counts.entry(id.clone()).or_default() += 1;
    }
    counts.retain(|_, n| *n > 1);
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_one_killed_lose_nothing_and_never_overlap() {
    let _load = crate::helpers::LOAD.read().await;
    let Some(storage) = Storage::new(Backend::Postgres).await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.answer(std::iter::repeat_n(Answer::slow(ANSWER_DELAY), EVENTS * 2));
    let http = reqwest::Client::new();
    let (mut children, bases, node_ids) = start_named_nodes(&http, &storage, &[]).await;
    let first = bases[0].clone();
    let token = child_tenant(&http, &first, "cluster").await;
    child_shop(&http, &first, &token, json!({ "url": receiver.url })).await;

    let nodes: Nodes = Arc::new(Mutex::new(bases.into_iter().map(Some).collect()));
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let lost = Arc::new(Mutex::new(0usize));
    let mut publishers = Vec::new();
    for p in 0..PUBLISHERS {
        let (http, nodes, token, acked, lost) = (
            http.clone(),
            nodes.clone(),
            token.clone(),
            acked.clone(),
            lost.clone(),
        );
        publishers.push(tokio::spawn(async move {
            for n in (p..EVENTS).step_by(PUBLISHERS) {
                match publish(&http, &nodes, &token, p, n).await {
                    Some(id) => acked.lock().unwrap().push(id),
                    None => *lost.lock().unwrap() += 1,
                }
            }
        }));
    }

    // Node 1 dies with work in flight once a third is acknowledged, and comes back at two thirds.
    let wait_acked = |count: usize| {
        let acked = acked.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(300);
            while acked.lock().unwrap().len() < count {
                assert!(
                    Instant::now() < deadline,
                    "{count} events not acknowledged in 300 s"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    let mut db = sqlx::PgConnection::connect(&storage.database_url())
        .await
        .unwrap();
    wait_acked(EVENTS / 3).await;
    nodes.lock().unwrap()[1] = None;
    let answering = receiver.answering();
    // What node 1 holds just before and just after the kill: the deliveries it may have sent without
    // recording. Its rows cannot change until their leases expire (timeout 2 s + margin 1 s after they
    // were taken, at the least), so the second look sees all it held when it died.
    let before_kill = leases(&mut db).await;
    sigkill(&mut children[1]);
    let after_kill = leases(&mut db).await;
    let killed_owner = &node_ids[1];
    let held_by_killed: HashSet<String> = before_kill
        .into_iter()
        .chain(after_kill)
        .filter(|(_, owner)| owner == killed_owner)
        .map(|(event, _)| event)
        .collect();
    eprintln!(
        "killed node 1 while the receiver answered {answering} requests of all nodes; it held {} leases",
        held_by_killed.len()
    );
    wait_acked(EVENTS * 2 / 3).await;
    let (mut child, base) = start_child(&storage);
    wait_ready(&http, &base, &mut child).await;
    children[1] = child;
    nodes.lock().unwrap()[1] = Some(base);
    for p in publishers {
        p.await.unwrap();
    }
    let acked: HashSet<String> = acked.lock().unwrap().iter().cloned().collect();
    assert_eq!(*lost.lock().unwrap(), 0, "publishes no node acknowledged");
    assert_eq!(acked.len(), EVENTS, "one event per idempotency key");

    // The killed node's leases expire (timeout 2 s + margin 1 s + up to 10 s waiting in memory) and the
    // others finish what it held: every delivery ends `succeeded`.
    let deadline = Instant::now() + Duration::from_secs(180);
    let unfinished = loop {
        let (unfinished,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM deliveries WHERE status <> 'succeeded'")
                .fetch_one(&mut db)
                .await
                .unwrap();
        if unfinished == 0 || Instant::now() > deadline {
            break unfinished;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (deliveries,): (i64,) = sqlx::query_as("SELECT count(*) FROM deliveries")
        .fetch_one(&mut db)
        .await
        .unwrap();
    for child in &mut children {
        sigkill(child);
    }
    let received: Vec<String> = receiver
        .requests()
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
        .collect();
    let unique: HashSet<&String> = received.iter().collect();
    let missing = acked.iter().filter(|id| !unique.contains(id)).count();
    eprintln!(
        "{} events acknowledged; {} requests received ({} unique)",
        acked.len(),
        received.len(),
        unique.len()
    );
    assert_eq!(
        missing,
        0,
        "{missing} of {} acknowledged events never arrived",
        acked.len()
    );
    assert_eq!(deliveries, EVENTS as i64, "one delivery per event");
    assert_eq!(
        unfinished, 0,
        "{unfinished} deliveries still unfinished 180 s after the last publish"
    );
    // Attempts the killed node had in flight reached the receiver but were never recorded: after its
    // leases expired another node sent them again (at least once).
    assert!(
        received.len() > unique.len(),
        "no delivery was sent twice: the kill caught no attempt in flight, so taking over was not tested"
    );
    // Only those: a delivery sent twice was leased by the killed node when it died, and was sent once by
    // it and once by the node that took it over.
    let repeated = repeats(&received);
    let foreign: Vec<(&String, &usize)> = repeated
        .iter()
        .filter(|(id, _)| !held_by_killed.contains(*id))
        .collect();
    assert!(
        foreign.is_empty(),
        "{} deliveries the killed node did not hold were sent more than once, e.g. {:?}",
        foreign.len(),
        foreign.first()
    );
    let thrice: Vec<(&String, &usize)> = repeated.iter().filter(|(_, n)| **n > 2).collect();
    assert!(
        thrice.is_empty(),
        "{} deliveries were sent more than twice, e.g. {:?}",
        thrice.len(),
        thrice.first()
    );
    assert!(
        repeated.len() <= held_by_killed.len(),
        "{} deliveries sent twice, more than the {} the killed node held",
        repeated.len(),
        held_by_killed.len()
    );
    let overlaps = receiver.overlaps();
    assert!(
        overlaps.is_empty(),
        "{} deliveries were attempted by two nodes at once, e.g. {:?}",
        overlaps.len(),
        overlaps.first()
    );
}

/// Three nodes on one PostgreSQL database: a fifo subscription's events, published one after another to
/// the nodes in turn, arrive in publish order through failures and retries; and one idempotency key sent
/// to all three nodes at once makes one event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifo_order_and_idempotency_hold_across_nodes() {
    const EVENTS: usize = 150;
    let _load = crate::helpers::LOAD.read().await;
    let Some(storage) = Storage::new(Backend::Postgres).await else {
        return;
    };
    let plan = crate::fifo::answers(EVENTS * 2);
    let receiver = Receiver::start().await;
    receiver.answer(plan.iter().map(|s| Answer::status(*s)));
    let http = reqwest::Client::new();
    let (mut children, bases) = start_nodes(&http, &storage).await;
    let token = child_tenant(&http, &bases[0], "cluster").await;
    for app in ["shop", "other"] {
        post_to(
            &http,
            &bases[0],
            &token,
            "/api/v1/apps",
            json!({ "id": app }),
        )
        .await;
    }

    // The same key on all three nodes at once, ten times over: one event each time.
    for k in 0..10 {
        let tries = bases.iter().map(|base| {
            http.post(format!("{base}/api/v1/apps/other/events"))
                .bearer_auth(&token)
                .header("Idempotency-Key", format!("same-{k}"))
                .json(&json!({ "type": "t", "payload": { "k": k } }))
                .send()
        });
        let mut ids = HashSet::new();
        for answer in futures_util::future::join_all(tries).await {
            let answer = answer.unwrap();
            assert!(
                answer.status() == 201 || answer.status() == 200,
                "publish with a shared key: {}",
                answer.status()
            );
            let body: serde_json::Value = answer.json().await.unwrap();
            ids.insert(body["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(
            ids.len(),
            1,
            "key same-{k} made {} events: {ids:?}",
            ids.len()
        );
    }
    let listed = http
        .get(format!("{}/api/v1/apps/other/events?limit=100", bases[2]))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(10));

    // Fifo: each event published (and acknowledged) before the next, by the nodes in turn.
    post_to(
        &http,
        &bases[0],
        &token,
        "/api/v1/apps/shop/subscriptions",
        json!({ "url": receiver.url, "ordering": "fifo", "retry": [1, 1, 1, 1, 1] }),
    )
    .await;
    for n in 0..EVENTS {
        post_to(
            &http,
            &bases[n % NODES],
            &token,
            "/api/v1/apps/shop/events",
            json!({ "type": "t", "payload": { "n": n } }),
        )
        .await;
    }
    let failures = |got: usize| plan.iter().take(got).filter(|s| **s != 200).count();
    let deadline = Instant::now() + Duration::from_secs(180);
    let requests = loop {
        let got = receiver.requests();
        if got.len() >= EVENTS + failures(got.len()) || Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for child in &mut children {
        sigkill(child);
    }
    crate::fifo::assert_in_order(&requests, &plan, EVENTS);
    assert!(
        failures(requests.len()) > 3,
        "the plan had failures to recover from"
    );
}

/// A rolling restart: under load, each of three nodes in turn is stopped with SIGTERM and started again.
/// Every acknowledged event is delivered once: a stopping node finishes (and records) what it sent and
/// hands back only what it had not, so no delivery is sent twice. Every delivery ends `succeeded`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_restart_under_load_loses_nothing() {
    const EVENTS: usize = 9_000;
    let _load = crate::helpers::LOAD.read().await;
    let Some(storage) = Storage::new(Backend::Postgres).await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.answer(std::iter::repeat_n(Answer::slow(ANSWER_DELAY), EVENTS * 2));
    let http = reqwest::Client::new();
    // Nodes here only stop gracefully, handing back what they had not sent, so no lease has to run out.
    // One that did (a node starved of CPU past the 2 s timeout plus the margin, on a loaded machine)
    // would have its delivery sent again, which this test would count against the graceful hand-back.
    let patient = [("HOOKD_DELIVERY__LEASE_MARGIN_MS", "60000")];
    let (mut children, bases) = start_nodes_with(&http, &storage, &patient).await;
    let first = bases[0].clone();
    let token = child_tenant(&http, &first, "rolling").await;
    child_shop(&http, &first, &token, json!({ "url": receiver.url })).await;

    let nodes: Nodes = Arc::new(Mutex::new(bases.into_iter().map(Some).collect()));
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let lost = Arc::new(Mutex::new(0usize));
    let mut publishers = Vec::new();
    for p in 0..PUBLISHERS {
        let (http, nodes, token, acked, lost) = (
            http.clone(),
            nodes.clone(),
            token.clone(),
            acked.clone(),
            lost.clone(),
        );
        publishers.push(tokio::spawn(async move {
            for n in (p..EVENTS).step_by(PUBLISHERS) {
                match publish(&http, &nodes, &token, p, n).await {
                    Some(id) => acked.lock().unwrap().push(id),
                    None => *lost.lock().unwrap() += 1,
                }
            }
        }));
    }
    // Node i is replaced once (i + 1) quarters of the events are acknowledged.
    for (i, child) in children.iter_mut().enumerate() {
        let deadline = Instant::now() + Duration::from_secs(300);
        while acked.lock().unwrap().len() < EVENTS * (i + 1) / 4 {
            assert!(Instant::now() < deadline, "publishing stalled");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        nodes.lock().unwrap()[i] = None;
        terminate(child).await;
        let (mut fresh, base) = start_child_with(&storage, &patient);
        wait_ready(&http, &base, &mut fresh).await;
        *child = fresh;
        nodes.lock().unwrap()[i] = Some(base);
    }
    for p in publishers {
        p.await.unwrap();
    }
    let acked: HashSet<String> = acked.lock().unwrap().iter().cloned().collect();
    assert_eq!(*lost.lock().unwrap(), 0, "publishes no node acknowledged");
    assert_eq!(acked.len(), EVENTS, "one event per idempotency key");

    let mut db = sqlx::PgConnection::connect(&storage.database_url())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let unfinished = loop {
        let (unfinished,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM deliveries WHERE status <> 'succeeded'")
                .fetch_one(&mut db)
                .await
                .unwrap();
        if unfinished == 0 || Instant::now() > deadline {
            break unfinished;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for child in &mut children {
        sigkill(child);
    }
    let requests: Vec<String> = receiver
        .requests()
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
        .collect();
    let received: HashSet<String> = requests.iter().cloned().collect();
    let missing = acked.iter().filter(|id| !received.contains(*id)).count();
    let repeated = repeats(&requests);
    eprintln!(
        "rolling restart: {} events acknowledged, {} requests received, {} deliveries sent more than once",
        acked.len(),
        requests.len(),
        repeated.len()
    );
    assert_eq!(
        missing,
        0,
        "{missing} of {} acknowledged events never arrived",
        acked.len()
    );
    assert_eq!(
        unfinished, 0,
        "{unfinished} deliveries still unfinished 120 s after the last publish"
    );
    assert!(
        receiver.overlaps().is_empty(),
        "deliveries attempted by two nodes at once"
    );
    assert!(
        repeated.is_empty(),
        "{} deliveries sent more than once across graceful restarts, e.g. {:?}",
        repeated.len(),
        repeated.iter().next()
    );
}
