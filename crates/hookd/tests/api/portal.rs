//! The customer portal's sessions: a session's token reaches its own app and nothing else, on every route
//! of the native API (taken from the OpenAPI document, like the tenancy sweep); a session limited to some
//! event types sees nothing of the others; capabilities, expiry and revocation hold on every call; and the
//! portal page may be framed only by the account's allowed origins.

use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Receiver, TestApp, ADMIN_TOKEN};
use crate::tenancy::{call, resources_of, routes, Ids};

both_backends!(
    a_portal_session_reaches_only_its_app,
    a_session_limited_to_types_sees_only_those,
    capabilities_expiry_and_revocation_hold_on_every_call,
    the_portal_page_is_framed_only_by_allowed_origins
);
crate::both_backends_with!(behind_a_proxy => a_public_url_makes_the_links);

fn behind_a_proxy(config: &mut hookd::config::Config) {
    config.public_url = Some("https://hooks.example.com/".into());
}

/// The routes a portal session may call; every other route refuses it.
const PORTAL_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/failure-kinds"),
    ("GET", "/api/v1/attempts"),
    ("GET", "/api/v1/apps/{app}"),
    ("GET", "/api/v1/apps/{app}/subscriptions"),
    ("POST", "/api/v1/apps/{app}/subscriptions"),
    ("GET", "/api/v1/apps/{app}/subscriptions/{sub}"),
    ("PATCH", "/api/v1/apps/{app}/subscriptions/{sub}"),
    ("DELETE", "/api/v1/apps/{app}/subscriptions/{sub}"),
    ("POST", "/api/v1/apps/{app}/subscriptions/{sub}/enable"),
    ("POST", "/api/v1/apps/{app}/subscriptions/{sub}/disable"),
    (
        "POST",
        "/api/v1/apps/{app}/subscriptions/{sub}/rotate-secret",
    ),
    ("GET", "/api/v1/apps/{app}/subscriptions/{sub}/secret"),
    ("POST", "/api/v1/apps/{app}/subscriptions/{sub}/test"),
    ("POST", "/api/v1/apps/{app}/subscriptions/{sub}/replay"),
    ("GET", "/api/v1/apps/{app}/subscriptions/{sub}/deliveries"),
    ("GET", "/api/v1/apps/{app}/subscriptions/{sub}/stats"),
    ("GET", "/api/v1/apps/{app}/subscriptions/{sub}/failures"),
    ("GET", "/api/v1/apps/{app}/events"),
    ("GET", "/api/v1/apps/{app}/events/{event}"),
    ("GET", "/api/v1/apps/{app}/events/{event}/deliveries"),
    ("GET", "/api/v1/deliveries/{delivery}"),
    ("POST", "/api/v1/deliveries/{delivery}/retry"),
    ("GET", "/api/v1/apps/{app}/event-types"),
    ("GET", "/api/v1/apps/{app}/event-types/{name}"),
    ("POST", "/api/v1/apps/{app}/event-types/{name}/send-example"),
];

/// A portal session of `account`'s app `app_id` made with the admin token: the creation response's body.
async fn session(app: &TestApp, account: &str, app_id: &str, body: Value) -> Value {
    app.send(
        Method::POST,
        &format!("/api/v1/apps/{app_id}/portal-sessions"),
        Some(ADMIN_TOKEN),
        Some(&body),
        &[("hookd-account", account)],
    )
    .await
    .expect(201)
    .body
}

/// Another app of the same account (`back-office`, with a subscription, a delivered event and a catalog
/// type), and another account's `shop`: a session of A's `shop` reaches none of them, on any route.
async fn a_portal_session_reaches_only_its_app(app: TestApp) {
    let receiver = Receiver::start().await;
    let a = app.tenant().await;
    let real = resources_of(&app, &a, &receiver).await;
    app.post("/api/v1/apps", &a.token, json!({ "id": "back-office" }))
        .await
        .expect(201);
    let other_sub = app
        .post(
            "/api/v1/apps/back-office/subscriptions",
            &a.token,
            json!({ "url": receiver.url }),
        )
        .await
        .expect(201)
        .str("id");
    let published = app
        .post(
            "/api/v1/apps/back-office/events",
            &a.token,
            json!({ "type": "t", "payload": {} }),
        )
        .await
        .expect(201);
    app.post(
        "/api/v1/apps/back-office/event-types",
        &a.token,
        json!({ "name": "payroll.run", "schema": {"type": "object"}, "examples": [{}] }),
    )
    .await
    .expect(201);
    let back_office = Ids {
        app: "back-office".into(),
        sub: other_sub.clone(),
        event: published.str("id"),
        delivery: published.body["deliveries"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        name: "payroll.run".into(),
        ..Ids::missing(&real)
    };
    let b = app.tenant().await;
    let theirs = resources_of(&app, &b, &receiver).await;
    let token = session(&app, &a.account_id, "shop", json!({})).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = (
        app.get("/api/v1/apps/back-office/subscriptions", &a.token)
            .await
            .expect(200)
            .text,
        app.get("/api/v1/apps/shop/subscriptions", &b.token)
            .await
            .expect(200)
            .text,
    );

    let mut refused = 0;
    let mut reached = 0;
    for route in routes(&app).await {
        if route.needs.is_none() {
            continue;
        }
        let (method, template) = (&route.method, route.template.as_str());
        let allowed = PORTAL_ROUTES
            .iter()
            .any(|(m, t)| *m == method.as_str() && *t == template);
        if !allowed {
            call(&app, method, template, &real, &token, &[])
                .await
                .expect_error(403, "forbidden");
            refused += 1;
            continue;
        }
        for foreign in [&back_office, &theirs] {
            if foreign.fill(template) == real.fill(template) {
                continue; // nothing foreign in this path
            }
            let r = call(&app, method, template, foreign, &token, &[]).await;
            // Not found; or, where an unknown id lists nothing (a deleted subscription's deliveries), an
            // empty list, exactly as for an id that names nothing.
            let nothing = r.status.as_u16() == 200 && r.body["data"] == json!([]);
            assert!(
                r.status.as_u16() == 404 || nothing,
                "{method} {} with a session of A's shop: {}",
                foreign.fill(template),
                r.text
            );
        }
        if template.contains("{app}") || template.contains("{delivery}") {
            call(
                &app,
                method,
                template,
                &real,
                &token,
                &[("hookd-account", &b.account_id)],
            )
            .await
            .expect_error(404, "account_not_found");
        }
        if *method == Method::GET {
            let r = call(&app, method, template, &real, &token, &[]).await;
            assert_eq!(r.status.as_u16(), 200, "GET {template}: {}", r.text);
            assert!(
                !r.text.contains(&other_sub) && !r.text.contains(&theirs.sub),
                "GET {template} shows another app's subscription: {}",
                r.text
            );
        }
        reached += 1;
    }
    assert!(
        refused >= 20 && reached == PORTAL_ROUTES.len(),
        "{refused} refused, {reached} reached"
    );
    // The attempts of the whole account are the session's app's only, named or not.
    let attempts = app.get("/api/v1/attempts", &token).await.expect(200);
    let apps: Vec<&str> = attempts.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["app_id"].as_str().unwrap())
        .collect();
    assert!(
        !apps.is_empty() && apps.iter().all(|a| *a == "shop"),
        "{apps:?}"
    );
    app.get("/api/v1/attempts?app=back-office", &token)
        .await
        .expect_error(404, "app_not_found");
    let after = (
        app.get("/api/v1/apps/back-office/subscriptions", &a.token)
            .await
            .expect(200)
            .text,
        app.get("/api/v1/apps/shop/subscriptions", &b.token)
            .await
            .expect(200)
            .text,
    );
    assert_eq!(before, after, "the session changed another app");
}

/// Subscriptions to `order.created`, to `user.created` and to every type; events of both types. A session
/// limited to `order.*` sees the first subscription, the `order.created` event and its delivery through it,
/// and the `order.created` catalog type: nothing else, by list or by id; and it cannot widen a
/// subscription past its types.
async fn a_session_limited_to_types_sees_only_those(app: TestApp) {
    let receiver = Receiver::start().await;
    let a = app.tenant().await;
    app.post("/api/v1/apps", &a.token, json!({ "id": "shop" }))
        .await
        .expect(201);
    let subscribe = |types: Value| {
        let body = json!({ "url": receiver.url, "event_types": types });
        let (app, token) = (&app, &a.token);
        async move {
            app.post("/api/v1/apps/shop/subscriptions", token, body)
                .await
                .expect(201)
                .str("id")
        }
    };
    let orders = subscribe(json!(["order.created"])).await;
    let users = subscribe(json!(["user.created"])).await;
    let everything = subscribe(json!([])).await;
    for name in ["order.created", "user.created"] {
        app.post(
            "/api/v1/apps/shop/event-types",
            &a.token,
            json!({ "name": name, "schema": {"type": "object"}, "examples": [{"n": 1}] }),
        )
        .await
        .expect(201);
    }
    let mut published = Vec::new();
    for event_type in ["order.created", "user.created"] {
        let r = app
            .post(
                "/api/v1/apps/shop/events",
                &a.token,
                json!({ "type": event_type, "payload": {} }),
            )
            .await
            .expect(201);
        published.push(r.body);
    }
    receiver
        .wait_for(4, std::time::Duration::from_secs(15))
        .await;
    let delivery_to = |event: &Value, sub: &str| -> String {
        event["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["subscription_id"] == sub)
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .expect("a delivery to the subscription")
    };
    let (order_event, user_event) = (&published[0], &published[1]);
    let token = session(
        &app,
        &a.account_id,
        "shop",
        json!({ "event_types": ["order.*"] }),
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let get = |path: String| {
        let (app, token) = (&app, token.clone());
        async move { app.get(&path, &token).await }
    };

    let listed = get("/api/v1/apps/shop/subscriptions".into())
        .await
        .expect(200);
    let ids: Vec<&str> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [orders.as_str()]);
    for hidden in [&users, &everything] {
        for tail in ["", "/secret", "/deliveries", "/failures", "/stats"] {
            get(format!("/api/v1/apps/shop/subscriptions/{hidden}{tail}"))
                .await
                .expect_error(404, "subscription_not_found");
        }
    }
    for hidden in [&users, &everything] {
        let writes = [
            (Method::PATCH, "", json!({ "description": "x" })),
            (Method::DELETE, "", json!(null)),
            (Method::POST, "/enable", json!({})),
            (Method::POST, "/disable", json!({})),
            (Method::POST, "/rotate-secret", json!({})),
            (Method::POST, "/test", json!({})),
            (Method::POST, "/replay", json!({})),
        ];
        for (method, tail, body) in writes {
            let path = format!("/api/v1/apps/shop/subscriptions/{hidden}{tail}");
            let body = (!body.is_null()).then_some(body);
            app.send(method.clone(), &path, Some(&token), body.as_ref(), &[])
                .await
                .expect_error(404, "subscription_not_found");
        }
        app.get(
            &format!("/api/v1/apps/shop/subscriptions/{hidden}"),
            &a.token,
        )
        .await
        .expect(200);
    }
    let events = get("/api/v1/apps/shop/events".into()).await.expect(200);
    let types: Vec<&str> = events.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["order.created"]);
    assert!(
        events.body["data"][0]["deliveries"].is_null(),
        "{}",
        events.text
    );
    let user_event_id = user_event["id"].as_str().unwrap();
    get(format!("/api/v1/apps/shop/events/{user_event_id}"))
        .await
        .expect_error(404, "event_not_found");
    get(format!(
        "/api/v1/apps/shop/events/{user_event_id}/deliveries"
    ))
    .await
    .expect_error(404, "event_not_found");
    let order_event_id = order_event["id"].as_str().unwrap();
    let of_order = get(format!(
        "/api/v1/apps/shop/events/{order_event_id}/deliveries"
    ))
    .await
    .expect(200);
    let subs: Vec<&str> = of_order.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["subscription_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        subs,
        [orders.as_str()],
        "only through the visible subscription"
    );
    get(format!(
        "/api/v1/deliveries/{}",
        delivery_to(order_event, &orders)
    ))
    .await
    .expect(200);
    for hidden in [
        delivery_to(order_event, &everything),
        delivery_to(user_event, &users),
        delivery_to(user_event, &everything),
    ] {
        get(format!("/api/v1/deliveries/{hidden}"))
            .await
            .expect_error(404, "delivery_not_found");
        app.post(
            &format!("/api/v1/deliveries/{hidden}/retry"),
            &token,
            json!({}),
        )
        .await
        .expect_error(404, "delivery_not_found");
    }
    let attempts = get("/api/v1/attempts".into()).await.expect(200);
    let seen: Vec<(&str, &str)> = attempts.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event_type"].as_str().unwrap(),
                e["subscription_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen, [("order.created", orders.as_str())]);
    let catalog = get("/api/v1/apps/shop/event-types".into())
        .await
        .expect(200);
    let names: Vec<&str> = catalog.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["order.created"]);
    get("/api/v1/apps/shop/event-types/user.created".into())
        .await
        .expect_error(404, "event_type_not_found");

    // Writes stay inside the types.
    for types in [
        json!(["user.created"]),
        json!([]),
        json!(["order.*", "user.*"]),
    ] {
        let r = app
            .post(
                "/api/v1/apps/shop/subscriptions",
                &token,
                json!({ "url": receiver.url, "event_types": types }),
            )
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(r.body["error"]["field"], "event_types", "{}", r.text);
    }
    app.patch(
        &format!("/api/v1/apps/shop/subscriptions/{orders}"),
        &token,
        json!({ "event_types": ["user.created"] }),
    )
    .await
    .expect_error(422, "validation_failed");
    app.post(
        "/api/v1/apps/shop/subscriptions",
        &token,
        json!({ "url": receiver.url, "event_types": ["order.line.*"] }),
    )
    .await
    .expect(201);
    // An example of a type it does not see, or to a subscription it does not see, is not sent.
    for (name, to, refused) in [
        ("user.created", &orders, Some("event_type_not_found")),
        ("order.created", &users, Some("subscription_not_found")),
        ("order.created", &orders, None),
    ] {
        let r = app
            .post(
                &format!("/api/v1/apps/shop/event-types/{name}/send-example"),
                &token,
                json!({ "subscription_id": to }),
            )
            .await;
        match refused {
            Some(code) => r.expect_error(404, code),
            None => r.expect(201),
        };
    }
    // A test event reaches one subscription whatever its types; the session sees it through its own.
    let test = app
        .post(
            &format!("/api/v1/apps/shop/subscriptions/{orders}/test"),
            &token,
            json!({}),
        )
        .await
        .expect(201);
    assert_eq!(test.body["type"], "hookd.test");
    let listed = get(format!(
        "/api/v1/apps/shop/subscriptions/{orders}/deliveries"
    ))
    .await
    .expect(200);
    assert!(
        listed.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["event_type"] == "hookd.test"),
        "{}",
        listed.text
    );
}

/// Read-only sessions only read; a session never grants more than its maker holds; bad requests name
/// their field; revocation and expiry are refused at the next call.
async fn capabilities_expiry_and_revocation_hold_on_every_call(app: TestApp) {
    let receiver = Receiver::start().await;
    let a = app.tenant().await;
    let (sub, _) = app.app_with_subscription(&a, &receiver.url).await;
    let delivery = app.publish_to_shop(&a).await;
    let create = |token: String, body: Value| {
        let app = &app;
        async move {
            app.post("/api/v1/apps/shop/portal-sessions", &token, body)
                .await
        }
    };

    let read_only = create(
        a.token.clone(),
        json!({ "capability": "read-only", "ttl_seconds": 600 }),
    )
    .await
    .expect(201);
    let reader = read_only.str("token");
    let created = chrono::DateTime::parse_from_rfc3339(&read_only.str("created_at")).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(&read_only.str("expires_at")).unwrap();
    assert_eq!((expires - created).num_seconds(), 600);
    app.get("/api/v1/apps/shop/subscriptions", &reader)
        .await
        .expect(200);
    app.get(
        &format!("/api/v1/apps/shop/subscriptions/{sub}/secret"),
        &reader,
    )
    .await
    .expect(200);
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/apps/shop/subscriptions".to_owned(),
            json!({ "url": receiver.url }),
        ),
        (
            Method::PATCH,
            format!("/api/v1/apps/shop/subscriptions/{sub}"),
            json!({ "description": "x" }),
        ),
        (
            Method::POST,
            format!("/api/v1/apps/shop/subscriptions/{sub}/test"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/apps/shop/subscriptions/{sub}/disable"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/deliveries/{delivery}/retry"),
            json!({}),
        ),
    ] {
        app.send(method.clone(), &path, Some(&reader), Some(&body), &[])
            .await
            .expect_error(403, "forbidden");
    }
    let manager = create(a.token.clone(), json!({})).await.expect(201);
    assert_eq!(manager.body["capability"], "manage");
    app.post(
        &format!("/api/v1/apps/shop/subscriptions/{sub}/test"),
        &manager.str("token"),
        json!({}),
    )
    .await
    .expect(201);
    // A session is opened neither by a portal session nor for more than its maker may do.
    create(manager.str("token"), json!({}))
        .await
        .expect_error(403, "forbidden");
    let reads = [
        "hookd:portal.write",
        "hookd:apps.read",
        "hookd:subscriptions.read",
        "hookd:events.read",
        "hookd:deliveries.read",
    ];
    let limited = app.key(&a.account_id, &reads).await.str("token");
    create(limited.clone(), json!({ "capability": "read-only" }))
        .await
        .expect(201);
    let r = create(limited, json!({ "capability": "manage" }))
        .await
        .expect_error(403, "forbidden");
    assert!(r.message().contains("hookd:"), "{}", r.text);
    let no_portal = app
        .key(&a.account_id, &["hookd:apps.*", "hookd:subscriptions.*"])
        .await
        .str("token");
    create(no_portal, json!({ "capability": "read-only" }))
        .await
        .expect_error(403, "forbidden");
    for (body, field) in [
        (json!({ "ttl_seconds": 59 }), "ttl_seconds"),
        (json!({ "ttl_seconds": 86_401 }), "ttl_seconds"),
        (json!({ "capability": "admin" }), "capability"),
        (json!({ "event_types": [] }), "event_types"),
        (json!({ "event_types": ["bad type"] }), "event_types[0]"),
    ] {
        let r = create(a.token.clone(), body)
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(r.body["error"]["field"], field, "{}", r.text);
    }
    app.post("/api/v1/apps/nope/portal-sessions", &a.token, json!({}))
        .await
        .expect_error(404, "app_not_found");

    // Revoked: refused at the next call, gone from the list, not revoked twice.
    let listed = app
        .get("/api/v1/apps/shop/portal-sessions", &a.token)
        .await
        .expect(200);
    assert_eq!(
        listed.body["data"].as_array().unwrap().len(),
        3,
        "{}",
        listed.text
    );
    assert!(!listed.text.contains(&reader), "a list shows no token");
    let id = read_only.str("id");
    app.delete(&format!("/api/v1/apps/shop/portal-sessions/{id}"), &a.token)
        .await
        .expect(204);
    let r = app
        .get("/api/v1/apps/shop/subscriptions", &reader)
        .await
        .expect_error(401, "unauthorized");
    assert!(r.message().contains("revoked"), "{}", r.text);
    let listed = app
        .get("/api/v1/apps/shop/portal-sessions", &a.token)
        .await
        .expect(200);
    assert!(!listed.text.contains(&id));
    app.delete(&format!("/api/v1/apps/shop/portal-sessions/{id}"), &a.token)
        .await
        .expect_error(404, "portal_session_not_found");

    // Expired: the stored expiry is checked on every call (moved into the past here, not waited for).
    let manager_token = manager.str("token");
    app.get("/api/v1/me", &manager_token).await.expect(200);
    app.execute_sql(&format!(
        "UPDATE portal_sessions SET expires_at = 1 WHERE id = '{}'",
        manager.str("id")
    ))
    .await;
    let r = app
        .get("/api/v1/me", &manager_token)
        .await
        .expect_error(401, "unauthorized");
    assert!(r.message().contains("expired"), "{}", r.text);
    // A wrong secret for a real session, and a session of a deleted app, are plain invalid credentials.
    let live = create(a.token.clone(), json!({})).await.expect(201);
    let forged = format!("{}x", live.str("token"));
    app.get("/api/v1/me", &forged)
        .await
        .expect_error(401, "unauthorized");
    app.delete("/api/v1/apps/shop", &a.token).await.expect(204);
    app.get("/api/v1/me", &live.str("token"))
        .await
        .expect_error(401, "unauthorized");
}

/// The account's settings decide who may frame the portal page and how it looks; the page carries them in
/// its Content-Security-Policy; an unknown session's page says so and may be framed by no one.
async fn the_portal_page_is_framed_only_by_allowed_origins(app: TestApp) {
    let a = app.tenant().await;
    app.post(
        "/api/v1/apps",
        &a.token,
        json!({ "id": "shop", "name": "Shop" }),
    )
    .await
    .expect(201);
    let settings = app
        .get("/api/v1/portal-settings", &a.token)
        .await
        .expect(200);
    assert_eq!(
        settings.body,
        json!({ "allowed_origins": [], "product_name": null, "logo_url": null, "primary_color": null })
    );
    for (body, field) in [
        (json!({ "allowed_origins": ["*"] }), "allowed_origins[0]"),
        (
            json!({ "allowed_origins": ["https://ok.example", "https://a.example/path"] }),
            "allowed_origins[1]",
        ),
        (
            json!({ "allowed_origins": ["https://a.example; script-src *"] }),
            "allowed_origins[0]",
        ),
        (json!({ "primary_color": "red" }), "primary_color"),
        (json!({ "logo_url": "javascript:alert(1)" }), "logo_url"),
        (json!({ "product_name": "" }), "product_name"),
    ] {
        let r = app
            .send(
                Method::PUT,
                "/api/v1/portal-settings",
                Some(&a.token),
                Some(&body),
                &[],
            )
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(r.body["error"]["field"], field, "{}", r.text);
    }
    let saved = app
        .send(
            Method::PUT,
            "/api/v1/portal-settings",
            Some(&a.token),
            Some(&json!({
                "allowed_origins": ["https://App.Example.com/", "http://localhost:8080"],
                "product_name": "Acme Cloud",
                "logo_url": "https://cdn.example.net/acme.png",
                "primary_color": "#0B5FFF",
            })),
            &[],
        )
        .await
        .expect(200);
    assert_eq!(
        saved.body["allowed_origins"],
        json!(["http://localhost:8080", "https://app.example.com"])
    );
    assert_eq!(saved.body["primary_color"], "#0b5fff");

    let session = app
        .post("/api/v1/apps/shop/portal-sessions", &a.token, json!({}))
        .await
        .expect(201);
    let (id, token) = (session.str("id"), session.str("token"));
    assert_eq!(
        session.str("url"),
        format!("{}/portal/{id}/#token={token}", app.base)
    );
    let me = app.get("/api/v1/me", &token).await.expect(200);
    assert_eq!(me.body["kind"], "portal");
    assert_eq!(me.body["app_id"], "shop");
    assert_eq!(me.body["app_name"], "Shop");
    assert_eq!(me.body["theme"]["product_name"], "Acme Cloud");
    assert_eq!(me.body["theme"]["primary_color"], "#0b5fff");

    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = raw
        .get(format!("{}/portal/{id}/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(page.headers().get("x-frame-options").is_none());
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(
        csp.ends_with("frame-ancestors http://localhost:8080 https://app.example.com"),
        "{csp}"
    );
    assert!(
        csp.contains("img-src 'self' data: https://cdn.example.net;"),
        "{csp}"
    );
    assert!(
        csp.contains("script-src 'self';") && csp.contains("connect-src 'self';"),
        "{csp}"
    );
    assert_eq!(
        page.bytes().await.unwrap().as_ref(),
        hookd::console::ASSETS[0].bytes,
        "the portal is the console's page"
    );
    let moved = raw
        .get(format!("{}/portal/{id}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 308);
    assert_eq!(moved.headers()["location"], format!("/portal/{id}/"));
    let unknown = raw
        .get(format!(
            "{}/portal/ps_01aaaaaaaaaaaaaaaaaaaaaaaa/",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let csp = unknown.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.ends_with("frame-ancestors 'none'"), "{csp}");
    assert!(unknown
        .text()
        .await
        .unwrap()
        .contains("This link is not valid"));

    // With no origins allowed, no page may frame it.
    app.send(
        Method::PUT,
        "/api/v1/portal-settings",
        Some(&a.token),
        Some(&json!({})),
        &[],
    )
    .await
    .expect(200);
    let page = raw
        .get(format!("{}/portal/{id}/", app.base))
        .send()
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.ends_with("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("img-src 'self' data:;"), "{csp}");
}

/// Behind a proxy the request's own host is not the address customers reach: `HOOKD_PUBLIC_URL` (its
/// trailing `/` dropped) makes the link, whatever `Host` the request carried.
async fn a_public_url_makes_the_links(app: TestApp) {
    let a = app.tenant().await;
    app.post("/api/v1/apps", &a.token, json!({ "id": "shop" }))
        .await
        .expect(201);
    let session = app
        .post("/api/v1/apps/shop/portal-sessions", &a.token, json!({}))
        .await
        .expect(201);
    let (id, token) = (session.str("id"), session.str("token"));
    assert_eq!(
        session.str("url"),
        format!("https://hooks.example.com/portal/{id}/#token={token}")
    );
}
