//! Tenant isolation, route by route: every route of the native API (taken from its OpenAPI document, so
//! a new route is covered the day it is added) is called by another account's key with account A's ids,
//! and must answer exactly as it does for ids that do not exist — the same status and error code, so
//! that B cannot even tell A's resources exist — and change nothing of A's. The same holds when B names A
//! in `Hookd-Account`; parents act for their children and for no one else.
//! The web console's routes are in the route list too: they serve the same public files to everyone and
//! lead nowhere else, so everything the console shows goes through the API's authorization above.
//! The dialect surfaces are covered by the SDK conformance suite (`conformance/test_isolation.py`).
//!
//! Key policies, route by route: each route declares the actions it needs as the scopes of its `bearer`
//! security requirement in the OpenAPI document (`admin` for the admin token's routes). A key lacking any
//! one of them is refused with 403 and changes nothing; a key with exactly them is let through. Parts of
//! an answer that another action guards (`PARTS`) are null for a key without it.

use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Receiver, Resp, Tenant, TestApp, ADMIN_TOKEN};

both_backends!(
    no_route_lets_one_account_reach_another,
    console_routes_serve_the_same_public_files_to_everyone,
    no_route_lets_a_key_past_its_policy
);

/// Every native action a policy may grant.
const ACTIONS: [&str; 10] = [
    "hookd:apps.read",
    "hookd:apps.write",
    "hookd:subscriptions.read",
    "hookd:subscriptions.write",
    "hookd:events.read",
    "hookd:events.write",
    "hookd:deliveries.read",
    "hookd:deliveries.write",
    "hookd:portal.read",
    "hookd:portal.write",
];

/// Parts of an answer guarded by more actions than its route's: (route, field, the actions it needs).
const PARTS: &[(&str, &str, &[&str])] = &[(
    "/api/v1/deliveries/{delivery}",
    "request",
    // The body is the event's payload; the URL and headers are the subscription's.
    &["hookd:events.read", "hookd:subscriptions.read"],
)];

/// The ids a route's path parameters are filled with.
pub(crate) struct Ids {
    pub account: String,
    pub key: String,
    pub app: String,
    pub sub: String,
    pub event: String,
    pub delivery: String,
    /// An event type of the app's catalog.
    pub name: String,
    /// A customer-portal session of the app.
    pub session: String,
}

impl Ids {
    /// Well-formed ids that name nothing: each of `real`'s with its last characters changed (the app's
    /// name is kept).
    pub(crate) fn missing(real: &Ids) -> Ids {
        let other = |id: &str| format!("{}zzzz", &id[..id.len() - 4]);
        Ids {
            account: other(&real.account),
            key: other(&real.key),
            // B has an app of the same name: A's ids must not be found inside it either.
            app: real.app.clone(),
            sub: other(&real.sub),
            event: other(&real.event),
            delivery: other(&real.delivery),
            name: other(&real.name),
            session: other(&real.session),
        }
    }

    pub(crate) fn fill(&self, template: &str) -> String {
        template
            .replace("{account}", &self.account)
            .replace("{key}", &self.key)
            .replace("{app}", &self.app)
            .replace("{sub}", &self.sub)
            .replace("{event}", &self.event)
            .replace("{delivery}", &self.delivery)
            .replace("{name}", &self.name)
            .replace("{session}", &self.session)
    }
}

/// A's resources, one of each kind: app `shop` with a subscription to `receiver`, an event delivered to
/// it, and a second key; their ids.
pub(crate) async fn resources_of(app: &TestApp, a: &Tenant, receiver: &Receiver) -> Ids {
    let (sub, _) = app.app_with_subscription(a, &receiver.url).await;
    let published = app
        .post(
            "/api/v1/apps/shop/events",
            &a.token,
            json!({ "type": "t", "payload": {} }),
        )
        .await
        .expect(201);
    let delivery = published.body["deliveries"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = app
        .wait_delivery(a, &delivery, std::time::Duration::from_secs(10), |d| {
            d["status"] == "succeeded"
        })
        .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    app.post(
        "/api/v1/apps/shop/event-types",
        &a.token,
        json!({ "name": "order.created", "schema": {"type": "object"}, "examples": [{}] }),
    )
    .await
    .expect(201);
    let session = app
        .post(
            "/api/v1/apps/shop/portal-sessions",
            &a.token,
            json!({ "description": "tenancy" }),
        )
        .await
        .expect(201)
        .str("id");
    Ids {
        account: a.account_id.clone(),
        key: app
            .key(&a.account_id, &["hookd:apps.read"])
            .await
            .str("key_id"),
        app: "shop".into(),
        sub,
        event: published.str("id"),
        delivery,
        name: "order.created".into(),
        session,
    }
}

/// A body that passes validation where the route takes one, so the call reaches the lookup.
pub(crate) fn body_for(method: &Method, template: &str) -> Option<Value> {
    let body = match (method.as_str(), template) {
        ("POST", t) if t.ends_with("/events") => json!({ "type": "t", "payload": {} }),
        ("POST", t) if t.ends_with("/event-types") => json!({ "name": "made.by.b" }),
        ("POST", t) if t.ends_with("/send-example") => json!({ "subscription_id": "sub_nothing" }),
        ("PATCH", t) if t.ends_with("/{name}") => json!({ "description": "changed by b" }),
        ("POST", t) if t.ends_with("/subscriptions") => json!({ "url": "http://127.0.0.1:9/b" }),
        ("POST", t) if t.ends_with("/replay") => json!({ "since": "2020-01-01T00:00:00Z" }),
        ("POST", t) if t.ends_with("/keys") => json!({ "policy": ["*"] }),
        ("POST", t) if t.ends_with("/portal-sessions") => json!({ "capability": "read-only" }),
        ("PUT", "/api/v1/portal-settings") => json!({ "allowed_origins": ["https://b.example"] }),
        ("POST", "/api/v1/accounts") => json!({ "name": "b-made" }),
        ("POST", "/api/v1/apps") => json!({ "id": "made-by-b" }),
        ("PATCH", t) if t.ends_with("/{sub}") => json!({ "description": "changed by b" }),
        ("PATCH", t) if t.ends_with("/{app}") => json!({ "name": "changed by b" }),
        ("POST", _) => json!({}),
        _ => return None,
    };
    Some(body)
}

/// One operation of the native API, as its OpenAPI document describes it.
pub(crate) struct Route {
    pub method: Method,
    pub template: String,
    /// The scopes of its `bearer` security requirement: the actions a key needs (`admin`: the admin
    /// token only); `None` for routes that need no credentials.
    pub needs: Option<Vec<String>>,
}

/// Every operation of the native API, from the OpenAPI document.
pub(crate) async fn routes(app: &TestApp) -> Vec<Route> {
    let doc = app
        .get("/api/v1/openapi.json", ADMIN_TOKEN)
        .await
        .expect(200);
    let mut routes = Vec::new();
    for (path, ops) in doc.body["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("operations") {
            let needs = op["security"].as_array().map(|requirements| {
                requirements[0]["bearer"]
                    .as_array()
                    .expect("bearer scopes")
                    .iter()
                    .map(|s| s.as_str().unwrap().to_owned())
                    .collect()
            });
            routes.push(Route {
                method: Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                template: path.clone(),
                needs,
            });
        }
    }
    routes
}

/// Calls the route `template` with `ids` filled in, and a body that passes validation where it takes one.
pub(crate) async fn call(
    app: &TestApp,
    method: &Method,
    template: &str,
    ids: &Ids,
    token: &str,
    headers: &[(&str, &str)],
) -> Resp {
    let body = body_for(method, template);
    app.send(
        method.clone(),
        &ids.fill(template),
        Some(token),
        body.as_ref(),
        headers,
    )
    .await
}

/// What an answer gives away: its status and error code.
fn shape(r: &Resp) -> (u16, String) {
    (r.status.as_u16(), r.code().to_owned())
}

/// A's resources as A sees them, to check nothing changed.
async fn snapshot(app: &TestApp, token: &str, ids: &Ids) -> Vec<String> {
    let mut seen = Vec::new();
    for path in [
        "/api/v1/apps".to_owned(),
        format!("/api/v1/apps/{}", ids.app),
        format!("/api/v1/apps/{}/subscriptions", ids.app),
        format!("/api/v1/apps/{}/subscriptions/{}/secret", ids.app, ids.sub),
        format!("/api/v1/apps/{}/events", ids.app),
        format!("/api/v1/deliveries/{}", ids.delivery),
    ] {
        let mut body = app.get(&path, token).await.expect(200).body;
        // The delivery's request is rendered at each read: its timestamp is the time of the read.
        let headers = body
            .pointer_mut("/request/headers")
            .and_then(Value::as_array_mut);
        for header in headers.into_iter().flatten() {
            if header["name"] == "webhook-timestamp" {
                header["value"] = json!("(the time of the read)");
            }
        }
        seen.push(body.to_string());
    }
    let keys = app
        .get(
            &format!("/api/v1/accounts/{}/keys", ids.account),
            ADMIN_TOKEN,
        )
        .await
        .expect(200);
    seen.push(keys.text);
    seen
}

async fn no_route_lets_one_account_reach_another(app: TestApp) {
    let receiver = Receiver::start().await;
    let a = app.tenant().await;
    let b = app.tenant().await;
    let child = app
        .tenant_with(
            json!({ "name": "child of a", "parent_id": a.account_id }),
            &["*"],
        )
        .await;
    let real = resources_of(&app, &a, &receiver).await;
    app.app_with_subscription(&b, "http://127.0.0.1:9/b").await;
    let missing = Ids::missing(&real);
    let before = snapshot(&app, &a.token, &real).await;

    let routes = routes(&app).await;
    assert!(
        routes.len() >= 25,
        "the OpenAPI document lists {} routes",
        routes.len()
    );
    let mut checked = 0;
    for Route {
        method, template, ..
    } in &routes
    {
        let (to_a, to_nothing) = (real.fill(template), missing.fill(template));
        if to_a == to_nothing {
            // No resource in the path: B acts in its own account. It must not see A's resources there.
            if *method == Method::GET {
                let r = call(&app, method, template, &real, &b.token, &[]).await;
                for id in [&real.sub, &real.event, &real.delivery, &real.key] {
                    assert!(
                        !r.text.contains(id.as_str()),
                        "{method} {to_a} shows B one of A's ids: {}",
                        r.text
                    );
                }
            }
            continue;
        }
        // B with A's ids answers as B with ids that name nothing, and is never let through.
        let (got, expected) = (
            call(&app, method, template, &real, &b.token, &[]).await,
            call(&app, method, template, &missing, &b.token, &[]).await,
        );
        assert_eq!(
            shape(&got),
            shape(&expected),
            "{method} {template}: B can tell A's ids from missing ones"
        );
        if got.status.is_success() {
            // Only where ids that name nothing succeed too, with the very same answer (an empty list).
            assert_eq!(
                got.body, expected.body,
                "{method} {to_a} answered B with something"
            );
            for id in [&real.sub, &real.event, &real.delivery, &real.key] {
                assert!(
                    !got.text.contains(id.as_str()),
                    "{method} {to_a} shows B one of A's ids"
                );
            }
        }
        assert_ne!(got.status.as_u16(), 500, "{method} {to_a}: {}", got.text);
        // B naming A's account: as if A did not exist.
        let (got, expected) = (
            call(
                &app,
                method,
                template,
                &real,
                &b.token,
                &[("hookd-account", &real.account)],
            )
            .await,
            call(
                &app,
                method,
                template,
                &missing,
                &b.token,
                &[("hookd-account", &missing.account)],
            )
            .await,
        );
        assert!(
            !got.status.is_success(),
            "{method} {to_a} as A let B through: {}",
            got.text
        );
        assert_eq!(
            shape(&got),
            shape(&expected),
            "{method} {template} with Hookd-Account"
        );
        // A child naming its parent gets no further than a stranger.
        let got = call(
            &app,
            method,
            template,
            &real,
            &child.token,
            &[("hookd-account", &real.account)],
        )
        .await;
        assert!(
            !got.status.is_success(),
            "{method} {to_a}: a child acted for its parent: {}",
            got.text
        );
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} routes take ids");
    assert_eq!(
        snapshot(&app, &a.token, &real).await,
        before,
        "B's calls changed A's resources"
    );

    // Where a parent may act: for its own child, not for a stranger's.
    app.get("/api/v1/apps", &a.token).await.expect(200);
    let as_child = app
        .send(
            Method::GET,
            "/api/v1/apps",
            Some(&a.token),
            None,
            &[("hookd-account", &child.account_id)],
        )
        .await
        .expect(200);
    let own = app.get("/api/v1/apps", &child.token).await.expect(200);
    assert_eq!(as_child.body, own.body, "the parent sees the child's apps");
    app.send(
        Method::GET,
        "/api/v1/apps",
        Some(&b.token),
        None,
        &[("hookd-account", &child.account_id)],
    )
    .await
    .expect_error(404, "account_not_found");
}

/// A key of A's account allowed `policy`; its token.
async fn key_of(app: &TestApp, account: &str, policy: &[impl AsRef<str>]) -> String {
    let policy: Vec<&str> = policy.iter().map(AsRef::as_ref).collect();
    app.key(account, &policy).await.str("token")
}

/// Every native action but `lacking`, and every dialect's: a key that may do all else.
fn all_but(lacking: &str) -> Vec<&'static str> {
    ACTIONS
        .iter()
        .copied()
        .filter(|a| *a != lacking)
        .chain(["cams:*", "live:*", "ess:*", "meeting:*"])
        .collect()
}

async fn no_route_lets_a_key_past_its_policy(app: TestApp) {
    let receiver = Receiver::start().await;
    let a = app.tenant().await;
    let real = resources_of(&app, &a, &receiver).await;
    // Ids that name nothing, in an app that does not exist either: a key let through gets 404.
    let missing = Ids {
        app: "no-such-app".into(),
        ..Ids::missing(&real)
    };
    let mut lacking = std::collections::HashMap::new();
    for action in ACTIONS {
        lacking.insert(action, key_of(&app, &a.account_id, &all_but(action)).await);
    }
    let everything = key_of(&app, &a.account_id, &["*"]).await;
    let routes = routes(&app).await;
    // A key with exactly the actions of each route's requirement (keys made later would change A's).
    let mut exact = std::collections::HashMap::new();
    let key_routes = routes.iter().filter_map(|r| r.needs.as_ref());
    for needs in key_routes.filter(|n| !n.iter().any(|a| a == "admin")) {
        if !exact.contains_key(needs) {
            let token = key_of(&app, &a.account_id, needs).await;
            exact.insert(needs.clone(), token);
        }
    }
    let before = snapshot(&app, &a.token, &real).await;

    let mut later = Vec::new();
    let mut checked = 0;
    for Route {
        method,
        template,
        needs,
    } in &routes
    {
        let Some(needs) = needs else {
            assert!(
                !template.starts_with("/api/v1/") || template == "/api/v1/openapi.json",
                "{method} {template} declares no security requirement"
            );
            continue;
        };
        let to_a = real.fill(template);
        if needs.iter().any(|n| n == "admin") {
            // The admin token's routes: no key is let through, whatever its policy.
            call(&app, method, template, &real, &everything, &[])
                .await
                .expect_error(403, "forbidden");
            continue;
        }
        for need in needs {
            assert!(
                ACTIONS.contains(&need.as_str()),
                "{method} {template} needs `{need}`, which is no action"
            );
            let r = call(&app, method, template, &real, &lacking[need.as_str()], &[])
                .await
                .expect_error(403, "forbidden");
            assert!(
                r.message().contains(need.as_str()),
                "{method} {template}: the refusal names the action: {}",
                r.text
            );
        }
        // Exactly the actions declared are enough: reads of A's own resources succeed; writes are tried
        // on ids that name nothing (404 once past the policy), those without ids after the snapshot.
        let token = exact[needs].clone();
        let to_nothing = missing.fill(template);
        let r = match (*method == Method::GET, to_nothing != to_a) {
            (true, _) => call(&app, method, template, &real, &token, &[])
                .await
                .expect(200),
            (false, true) => call(&app, method, template, &missing, &token, &[]).await,
            (false, false) => {
                later.push((method.clone(), template.clone(), token));
                checked += 1;
                continue;
            }
        };
        assert_ne!(
            r.status.as_u16(),
            403,
            "{method} {template} needs more than {needs:?}: {}",
            r.text
        );
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} routes checked");
    assert_eq!(
        snapshot(&app, &a.token, &real).await,
        before,
        "refused calls changed A's resources"
    );
    for (method, template, token) in later {
        let r = call(&app, &method, &template, &real, &token, &[]).await;
        assert!(r.status.is_success(), "{method} {template}: {}", r.text);
    }

    // Parts another action guards: present with every action they need, null without any one of them.
    for (template, field, part_needs) in PARTS {
        let route = routes
            .iter()
            .find(|r| r.method == Method::GET && r.template == *template)
            .expect("the part's route is documented");
        let route_needs = route.needs.clone().unwrap_or_default();
        let with = |extra: &[&str]| -> Vec<String> {
            route_needs
                .iter()
                .cloned()
                .chain(extra.iter().map(|s| s.to_string()))
                .collect()
        };
        let path = real.fill(template);
        let token = key_of(&app, &a.account_id, &with(part_needs)).await;
        let r = app.get(&path, &token).await.expect(200);
        assert!(!r.body[field].is_null(), "{template} `{field}`: {}", r.text);
        for need in *part_needs {
            let others: Vec<&str> = part_needs.iter().copied().filter(|n| n != need).collect();
            let token = key_of(&app, &a.account_id, &with(&others)).await;
            let r = app.get(&path, &token).await.expect(200);
            assert!(
                r.body[field].is_null(),
                "{template} shows `{field}` to a key without {need}: {}",
                r.text
            );
        }
    }
}

/// Every console route, and paths under `/console/` that are not files, with every kind of caller: the
/// answers are identical whoever asks (nothing depends on credentials), the files are the embedded build,
/// and no path under the console reaches the API.
async fn console_routes_serve_the_same_public_files_to_everyone(app: TestApp) {
    let receiver = Receiver::start().await;
    let a = app.tenant().await;
    let b = app.tenant().await;
    let (sub, _) = app.app_with_subscription(&a, &receiver.url).await;
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let as_a = format!("Bearer {}", a.token);
    let as_b = format!("Bearer {}", b.token);
    let admin = format!("Bearer {ADMIN_TOKEN}");
    let callers: [&[(&str, &str)]; 5] = [
        &[],
        &[("authorization", &as_a)],
        &[("authorization", &as_b), ("hookd-account", &a.account_id)],
        &[("authorization", &admin), ("hookd-account", &a.account_id)],
        &[("authorization", "Bearer not-a-token")],
    ];
    let files = hookd::console::ASSETS
        .iter()
        .map(|f| (f.path, Some(f.bytes)));
    let others = [
        "/console",
        "/console/index.html",
        "/console/api/v1/apps",
        "/console/assets/",
        "/console/..%2fapi/v1/apps",
        "/console/assets/console.js/..%2f..%2f..%2fapi/v1/apps",
    ]
    .into_iter()
    .map(|p| (p, None));
    for (path, embedded) in files.chain(others) {
        for method in [Method::GET, Method::POST, Method::DELETE] {
            let mut answers = Vec::new();
            for headers in callers {
                let mut request = raw.request(method.clone(), format!("{}{path}", app.base));
                for (k, v) in headers {
                    request = request.header(*k, *v);
                }
                let r = request.send().await.expect("the server answers");
                let status = r.status().as_u16();
                let location = r.headers().get("location").cloned();
                let body = r.bytes().await.expect("a body").to_vec();
                assert!(
                    !String::from_utf8_lossy(&body).contains(&sub),
                    "{method} {path} shows a subscription id"
                );
                // Error bodies carry a fresh request id; the rest must be byte for byte the same.
                answers.push((
                    status,
                    location,
                    if status < 400 { body } else { Vec::new() },
                ));
            }
            assert!(
                answers.windows(2).all(|w| w[0] == w[1]),
                "{method} {path} answers differently by caller: {:?}",
                answers.iter().map(|a| a.0).collect::<Vec<_>>()
            );
            let (status, location, body) = &answers[0];
            match (method.clone(), embedded) {
                (Method::GET, Some(bytes)) => {
                    assert_eq!(*status, 200, "GET {path}");
                    assert_eq!(body.as_slice(), bytes, "GET {path} is the embedded file");
                }
                (Method::GET, None) if path == "/console" => {
                    assert_eq!(*status, 303, "GET {path} leads to the console");
                    assert_eq!(location.as_ref().unwrap(), "/console/");
                }
                _ => assert!(
                    matches!(*status, 404 | 405),
                    "{method} {path} answered {status}"
                ),
            }
        }
    }
}
