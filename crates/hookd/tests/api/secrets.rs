//! Secrets stay secret: a full run of a real `hookd` process at `RUST_LOG=trace`, in JSON (SQLite) and in
//! text (PostgreSQL) (keys made, subscriptions created and rotated, callbacks signed and delivered, a signed
//! dialect call, a customer-portal session used, wrong credentials tried) leaves no secret and no payload in its log, and no secret is
//! readable in the database (SQLite file and WAL, or every PostgreSQL table as text). How custom header
//! values and queue passwords are sealed and masked is `sealed_values.rs`.

use std::{fs::File, process::Command, time::Duration};

use base64::Engine;
use serde_json::{json, Value};
use sqlx::{Connection, Row};

use crate::helpers::{
    child_command, child_key, post_to, terminate, wait_ready, Backend, Receiver, Storage,
    ADMIN_TOKEN, MASTER_KEY,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_logs_or_at_rest_sqlite() {
    no_secret_in_logs_or_at_rest(Backend::Sqlite, "json").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_logs_or_at_rest_postgres() {
    no_secret_in_logs_or_at_rest(Backend::Postgres, "text").await;
}

/// Every form of `secret` that would give it away: as sent, and for `whsec_` secrets the key itself in
/// base64 and hex.
fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_owned()];
    if let Some(b64) = secret.strip_prefix("whsec_") {
        forms.push(b64.to_owned());
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        forms.push(raw.iter().map(|b| format!("{b:02x}")).collect());
    }
    forms
}

/// A string in every published payload: payloads are never logged.
const PAYLOAD_MARKER: &str = "payload-text-that-must-not-be-logged";

async fn no_secret_in_logs_or_at_rest(backend: Backend, log_format: &str) {
    let Some(storage) = Storage::new(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let log_path = storage.dir.path().join("hookd.log");
    let (mut command, base) = child_command(
        Command::new(env!("CARGO_BIN_EXE_hookd")),
        &storage,
        &[("RUST_LOG", "trace"), ("HOOKD_LOG_FORMAT", log_format)],
    );
    command.stderr(File::create(&log_path).unwrap());
    let mut child = command.arg("serve").spawn().expect("start hookd");
    let http = reqwest::Client::new();
    wait_ready(&http, &base, &mut child).await;

    let key = child_key(&http, &base, "s").await;
    let token = key["token"].as_str().unwrap().to_owned();
    let key_secret = key["secret"].as_str().unwrap().to_owned();
    post_to(
        &http,
        &base,
        &token,
        "/api/v1/apps",
        json!({ "id": "shop" }),
    )
    .await;
    let given = "whsec_c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1iZS1sb2dnZWQ=";
    let sub = post_to(
        &http,
        &base,
        &token,
        "/api/v1/apps/shop/subscriptions",
        json!({ "url": receiver.url, "secret": given }),
    )
    .await;
    let sub_id = sub["id"].as_str().unwrap().to_owned();
    let rotated = post_to(
        &http,
        &base,
        &token,
        &format!("/api/v1/apps/shop/subscriptions/{sub_id}/rotate-secret"),
        json!({}),
    )
    .await;
    let generated = rotated["secret"].as_str().unwrap().to_owned();
    let vendor = post_to(
        &http,
        &base,
        &token,
        "/api/v1/apps/shop/subscriptions",
        json!({ "url": receiver.url, "vendor_secrets": { "vendorKey": "vendor-key-that-must-stay-sealed" } }),
    )
    .await;
    let header_value = "Bearer header-value-that-must-stay-sealed";
    post_to(
        &http,
        &base,
        &token,
        "/api/v1/apps/shop/subscriptions",
        json!({ "url": receiver.url, "headers": { "Authorization": header_value } }),
    )
    .await;
    // Nothing listens on port 9: its attempts fail, their errors are logged and stored.
    let queue_password = "queue-password-that-must-stay-sealed";
    post_to(
        &http,
        &base,
        &token,
        "/api/v1/apps/shop/subscriptions",
        json!({ "url": format!("redis://hookd:{queue_password}@127.0.0.1:9/stream") }),
    )
    .await;
    for n in 0..5 {
        post_to(
            &http,
            &base,
            &token,
            "/api/v1/apps/shop/events",
            json!({ "type": "t", "payload": { "n": n, "note": PAYLOAD_MARKER } }),
        )
        .await;
    }
    // A signed dialect call (TC3): the key's secret signs it and must not be logged.
    let key_pair = (key["key_id"].as_str().unwrap(), key_secret.as_str());
    let ess = crate::ess::modify_at(
        &http,
        &base,
        key_pair,
        "operator",
        1,
        "http://127.0.0.1:9/ess-callback",
    )
    .await;
    assert!(ess.get("Error").is_none(), "ESS call: {ess}");
    // A customer-portal session: its token travels only in the link's fragment and the Authorization
    // header, so neither the calls it makes nor the page it opens log it.
    let portal = post_to(
        &http,
        &base,
        &token,
        "/api/v1/apps/shop/portal-sessions",
        json!({ "description": "secrets" }),
    )
    .await;
    let portal_token = portal["token"].as_str().unwrap().to_owned();
    let portal_url = portal["url"].as_str().unwrap().to_owned();
    let page_url = portal_url.split('#').next().unwrap();
    assert_eq!(http.get(page_url).send().await.unwrap().status(), 200);
    for path in [
        "/api/v1/me",
        "/api/v1/apps/shop/subscriptions",
        "/api/v1/apps",
    ] {
        http.get(format!("{base}{path}"))
            .bearer_auth(&portal_token)
            .send()
            .await
            .unwrap();
    }
    let expired = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(format!("{portal_token}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);
    // Wrong credentials: the secret-bearing header of a failed call is not logged either.
    let wrong = format!("{}:{}x", key["key_id"].as_str().unwrap(), key_secret);
    let refused = http
        .get(format!("{base}/api/v1/apps"))
        .bearer_auth(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let listed = http
        .get(format!("{base}/api/v1/apps/shop/subscriptions"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listed.contains("redis://hookd:****@"), "{listed}");
    let got = receiver.wait_for(15, Duration::from_secs(20)).await;
    terminate(&mut child).await;
    assert_eq!(got.len(), 15, "callbacks delivered during the run");
    let with_header = got
        .iter()
        .filter(|r| {
            r.headers
                .get("authorization")
                .is_some_and(|v| v == header_value)
        })
        .count();
    assert_eq!(with_header, 5, "the header's real value was sent");
    assert!(
        vendor["id"].is_string(),
        "a subscription with a vendor secret: {vendor}"
    );

    let mut secrets = vec![
        ADMIN_TOKEN.to_owned(),
        MASTER_KEY.to_owned(),
        key_secret.clone(),
        "vendor-key-that-must-stay-sealed".to_owned(),
        header_value.to_owned(),
        queue_password.to_owned(),
        portal_token.clone(),
        // The token's secret part alone (`hkp_<session>_<secret>`).
        portal_token.rsplit('_').next().unwrap().to_owned(),
    ];
    secrets.extend(forms(given));
    secrets.extend(forms(&generated));
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("TRACE"), "the run logged at trace level");
    if log_format == "json" {
        let lines = log.lines().filter(|l| !l.trim().is_empty());
        for line in lines {
            serde_json::from_str::<Value>(line)
                .unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"));
        }
    }
    assert!(!log.contains(PAYLOAD_MARKER), "the log contains a payload");
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the log contains a secret ({secret})"
        );
        assert!(
            !listed.contains(secret.as_str()),
            "a read shows a secret ({secret})"
        );
    }

    // At rest: the database holds none of them in readable form.
    let stored: Vec<u8> = match &storage.pg {
        None => {
            let mut bytes = Vec::new();
            for entry in std::fs::read_dir(storage.dir.path()).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if name.starts_with("hookd.db") {
                    bytes.extend(std::fs::read(&path).unwrap());
                }
            }
            assert!(bytes.len() > 4096, "the SQLite files were read");
            bytes
        }
        Some(pg) => {
            let mut db = sqlx::PgConnection::connect(&pg.url).await.unwrap();
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_all(&mut db)
            .await
            .unwrap();
            let mut text = String::new();
            for table in &tables {
                let rows = sqlx::query(&format!("SELECT t::text FROM {table} t"))
                    .fetch_all(&mut db)
                    .await
                    .unwrap();
                for row in rows {
                    text.push_str(&row.get::<String, _>(0));
                    text.push('\n');
                }
            }
            assert!(text.contains(&sub_id), "the tables were read");
            text.into_bytes()
        }
    };
    for secret in &secrets {
        let found = stored.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(
            !found,
            "the database holds a secret in readable form ({secret})"
        );
    }
}
