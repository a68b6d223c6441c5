//! The Tencent ESS dialect (`POST /`, `X-TC-Action: ModifyApplicationCallbackInfo`), called with
//! TC3-HMAC-SHA256 signatures made as Tencent documents them (`dialect_requests`), independently of
//! hookd's verifier.
//! The vendor's Python SDK drives the same action in `conformance/test_tencent_ess.py`.

use serde_json::{json, Value};

use crate::{
    both_backends,
    dialect_requests::{send_tc3_to, Tc3},
    helpers::{Tenant, TestApp, ADMIN_TOKEN},
};

both_backends!(a_key_bound_to_a_user_acts_only_as_that_operator);

/// `ModifyApplicationCallbackInfo` with `Operator.UserId` `operator`, signed with the key; the `Response`.
async fn modify(
    app: &TestApp,
    key: (&str, &str),
    operator: &str,
    operate_type: i64,
    url: &str,
) -> Value {
    modify_at(&app.http, &app.base, key, operator, operate_type, url).await
}

/// `modify` against the server at `base`.
pub async fn modify_at(
    http: &reqwest::Client,
    base: &str,
    (key_id, secret): (&str, &str),
    operator: &str,
    operate_type: i64,
    url: &str,
) -> Value {
    let body = json!({
        "Operator": { "UserId": operator },
        "OperateType": operate_type,
        "CallbackInfo": { "CallbackUrl": url },
    })
    .to_string();
    let request = Tc3 {
        method: "POST",
        signed_host: base.trim_start_matches("http://").to_owned(),
        service: "ess",
        query: String::new(),
        body,
        sent_body: None,
        unsigned: false,
    };
    send_tc3_to(http, base, (key_id, secret), request).await
}

fn error_code(response: &Value) -> &str {
    response["Error"]["Code"].as_str().unwrap_or("")
}

/// The callback URLs of the account's `ess` app.
async fn ess_urls(app: &TestApp, t: &Tenant) -> Vec<String> {
    let list = app
        .get("/api/v1/apps/ess/subscriptions", &t.token)
        .await
        .expect(200);
    list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["url"].as_str().unwrap().to_owned())
        .collect()
}

/// A key made with `user_id` may name only that user as `Operator.UserId`, to add and to delete; a key
/// without one acts as any operator.
async fn a_key_bound_to_a_user_acts_only_as_that_operator(app: TestApp) {
    let t = app.tenant().await;
    let created = app
        .post(
            &format!("/api/v1/accounts/{}/keys", t.account_id),
            ADMIN_TOKEN,
            json!({ "policy": ["*"], "user_id": "user-1" }),
        )
        .await
        .expect(201);
    let (key_id, secret) = (created.str("key_id"), created.str("secret"));
    let bound = (key_id.as_str(), secret.as_str());
    let url = "http://127.0.0.1:9/ess";

    let refused = modify(&app, bound, "user-2", 1, url).await;
    assert_eq!(
        error_code(&refused),
        "OperationDenied.OperatorHasNoPermission"
    );
    assert!(refused["Error"]["Message"]
        .as_str()
        .is_some_and(|m| m.contains("user-2")));
    assert!(refused["RequestId"].is_string());
    assert!(ess_urls(&app, &t).await.is_empty());

    let added = modify(&app, bound, "user-1", 1, url).await;
    assert!(added.get("Error").is_none(), "{added}");
    assert_eq!(ess_urls(&app, &t).await, [url]);

    let refused = modify(&app, bound, "user-2", 2, url).await;
    assert_eq!(
        error_code(&refused),
        "OperationDenied.OperatorHasNoPermission"
    );
    assert_eq!(ess_urls(&app, &t).await, [url]);

    let any = app.key(&t.account_id, &["*"]).await;
    let any = (any.str("key_id"), any.str("secret"));
    let deleted = modify(&app, (&any.0, &any.1), "user-2", 2, url).await;
    assert!(deleted.get("Error").is_none(), "{deleted}");
    assert!(ess_urls(&app, &t).await.is_empty());
}
