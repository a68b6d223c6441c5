//! The OpenAPI document is snapshot-tested and lists every route. Regenerate the snapshot with
//! `UPDATE_SNAPSHOTS=1 cargo test -p hookd --test api openapi`.

use std::path::PathBuf;

use crate::helpers::{spawn_app, Backend};

const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/v1/accounts"),
    ("get", "/api/v1/accounts"),
    ("get", "/api/v1/accounts/{account}"),
    ("post", "/api/v1/accounts/{account}/keys"),
    ("get", "/api/v1/accounts/{account}/keys"),
    ("delete", "/api/v1/accounts/{account}/keys/{key}"),
    ("post", "/api/v1/apps"),
    ("get", "/api/v1/apps"),
    ("get", "/api/v1/apps/{app}"),
    ("patch", "/api/v1/apps/{app}"),
    ("delete", "/api/v1/apps/{app}"),
    ("post", "/api/v1/apps/{app}/subscriptions"),
    ("get", "/api/v1/apps/{app}/subscriptions"),
    ("get", "/api/v1/apps/{app}/subscriptions/{sub}"),
    ("patch", "/api/v1/apps/{app}/subscriptions/{sub}"),
    ("delete", "/api/v1/apps/{app}/subscriptions/{sub}"),
    ("post", "/api/v1/apps/{app}/subscriptions/{sub}/enable"),
    ("post", "/api/v1/apps/{app}/subscriptions/{sub}/disable"),
    (
        "post",
        "/api/v1/apps/{app}/subscriptions/{sub}/rotate-secret",
    ),
    ("get", "/api/v1/apps/{app}/subscriptions/{sub}/secret"),
    ("post", "/api/v1/apps/{app}/subscriptions/{sub}/test"),
    ("post", "/api/v1/apps/{app}/subscriptions/{sub}/replay"),
    ("get", "/api/v1/apps/{app}/subscriptions/{sub}/deliveries"),
    ("get", "/api/v1/apps/{app}/subscriptions/{sub}/stats"),
    ("get", "/api/v1/apps/{app}/subscriptions/{sub}/failures"),
    ("post", "/api/v1/apps/{app}/events"),
    ("get", "/api/v1/apps/{app}/events"),
    ("get", "/api/v1/apps/{app}/events/{event}"),
    ("get", "/api/v1/apps/{app}/events/{event}/deliveries"),
    ("get", "/api/v1/deliveries/{delivery}"),
    ("post", "/api/v1/deliveries/{delivery}/retry"),
    ("delete", "/api/v1/apps/{app}/events/{event}/payload"),
    ("post", "/api/v1/apps/{app}/event-types"),
    ("get", "/api/v1/apps/{app}/event-types"),
    ("get", "/api/v1/apps/{app}/event-types/{name}"),
    ("patch", "/api/v1/apps/{app}/event-types/{name}"),
    ("post", "/api/v1/apps/{app}/event-types/{name}/archive"),
    ("post", "/api/v1/apps/{app}/event-types/{name}/unarchive"),
    ("post", "/api/v1/apps/{app}/event-types/{name}/send-example"),
    ("post", "/api/v1/apps/{app}/portal-sessions"),
    ("get", "/api/v1/apps/{app}/portal-sessions"),
    ("delete", "/api/v1/apps/{app}/portal-sessions/{session}"),
    ("get", "/api/v1/portal-settings"),
    ("put", "/api/v1/portal-settings"),
    ("get", "/api/v1/attempts"),
    ("get", "/api/v1/stats"),
    ("get", "/api/v1/subscription-health"),
    ("get", "/api/v1/failure-kinds"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_matches_snapshot_and_lists_every_route() {
    let app = spawn_app(Backend::Sqlite)
        .await
        .expect("sqlite always runs");
    let res = app
        .send(
            reqwest::Method::GET,
            "/api/v1/openapi.json",
            None,
            None,
            &[],
        )
        .await
        .expect(200);
    let doc = &res.body;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "OpenAPI 3.1"
    );

    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push((method.clone(), path.clone()));
        }
    }
    documented.sort();
    let mut expected: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    expected.sort();
    assert_eq!(documented, expected);

    // Every documented route is really served: a request without credentials never gets route_not_found.
    for (method, path) in ROUTES {
        let concrete = path.replace('{', "x").replace('}', "");
        let r = app
            .send(
                method.to_uppercase().parse().unwrap(),
                &concrete,
                None,
                None,
                &[],
            )
            .await;
        assert_ne!(r.code(), "route_not_found", "{method} {path}");
        assert_ne!(r.status.as_u16(), 405, "{method} {path}");
    }

    let snapshot = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");
    let current = serde_json::to_string_pretty(doc).unwrap() + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(snapshot.parent().unwrap()).unwrap();
        std::fs::write(&snapshot, &current).unwrap();
    }
    let stored = std::fs::read_to_string(&snapshot).unwrap_or_else(|_| {
        panic!(
            "missing {}; run with UPDATE_SNAPSHOTS=1",
            snapshot.display()
        )
    });
    assert!(
        stored == current,
        "the OpenAPI document changed; review and run with UPDATE_SNAPSHOTS=1 to accept"
    );
}
