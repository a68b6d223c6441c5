//! Snapshots of each callback format's exact headers and body, as a real receiver gets them (ids, times,
//! nonces and signatures redacted). Regenerate with `UPDATE_SNAPSHOTS=1`.

use std::{path::PathBuf, time::Duration};

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Receiver, TestApp};

both_backends!(formats_match_their_snapshots);

/// Headers a format may set; transport headers (host, length, user agent) are left out.
const SHOWN: &[&str] = &[
    "content-type",
    "content-signature",
    "ali-live-timestamp",
    "ali-live-signature",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "x-tenant",
];
const VOLATILE_HEADERS: &[&str] = &[
    "content-signature",
    "ali-live-timestamp",
    "ali-live-signature",
    "webhook-timestamp",
    "webhook-signature",
];
const VOLATILE_FIELDS: &[&str] = &["timestamp", "MsgTimestamp", "nonce", "signature", "encrypt"];

fn redact_json(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if VOLATILE_FIELDS.contains(&k.as_str()) {
                    *v = json!("<redacted>");
                } else {
                    redact_json(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

async fn formats_match_their_snapshots(app: TestApp) {
    let t = app.tenant().await;
    app.post("/api/v1/apps", &t.token, json!({ "id": "shop" }))
        .await
        .expect(201);
    let cases = [
        ("native", json!({})),
        ("cams", json!({})),
        ("ess", json!({ "CallbackToken": "tok_ABC" })),
        (
            "ess-encrypted",
            json!({ "CallbackKey": "0123456789abcdef0123456789abcdef" }),
        ),
        (
            "live-snapshot",
            json!({ "NotifyReqAuth": "yes", "NotifyAuthKey": "abcdefghijklmnop" }),
        ),
        ("live-rtc", json!({})),
        (
            "meeting",
            json!({ "subscriberId": "app-1", "subscriberKey": "subscriber-key-1" }),
        ),
    ];
    for (name, vendor) in cases {
        let receiver = Receiver::start().await;
        let format = name.trim_end_matches("-encrypted");
        let sub = app
            .post(
                "/api/v1/apps/shop/subscriptions",
                &t.token,
                json!({ "url": receiver.url, "format": format, "vendor_secrets": vendor, "headers": { "X-Tenant": "42" } }),
            )
            .await
            .expect(201)
            .str("id");
        let event = app
            .post(
                "/api/v1/apps/shop/events",
                &t.token,
                json!({ "type": "UserEvent", "payload": { "UserId": "u1", "Action": "join" }, "channel_id": "ch1", "user_id": "u1" }),
            )
            .await
            .expect(201)
            .str("id");
        let got = receiver.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(got.len(), 1, "{name}: delivered");
        let req = &got[0];
        let mut text = format!("POST {}\n", req.path);
        for header in SHOWN {
            if let Some(value) = req.headers.get(*header) {
                let shown = if VOLATILE_HEADERS.contains(header) {
                    "<redacted>"
                } else {
                    value.to_str().unwrap()
                };
                text.push_str(&format!("{header}: {shown}\n"));
            }
        }
        let mut body: Value = serde_json::from_slice(&req.body).unwrap();
        redact_json(&mut body);
        text.push('\n');
        text.push_str(&serde_json::to_string_pretty(&body).unwrap());
        text.push('\n');
        let text = text
            .replace(&event, "<event-id>")
            .replace(&sub, "<subscription-id>");

        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/snapshots/formats/{name}.txt"));
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        let stored =
            std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing {}", path.display()));
        assert_eq!(
            stored, text,
            "{name}: the format changed; review and run with UPDATE_SNAPSHOTS=1"
        );
        app.delete(&format!("/api/v1/apps/shop/subscriptions/{sub}"), &t.token)
            .await
            .expect(204);
    }
}
