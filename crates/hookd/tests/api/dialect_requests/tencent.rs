//! Tencent: TC3 over POST JSON and GET query, and the parameter signature.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::{both_backends, helpers::TestApp};

use super::*;

both_backends!(
    tencent_tc3_host_with_or_without_its_port_and_nothing_else,
    tencent_parameter_signature,
);

/// How a TC3 request is signed and sent.
pub struct Tc3<'a> {
    pub method: &'a str,
    /// The host value signed (the request is sent to the test server whatever it says).
    pub signed_host: String,
    pub service: &'a str,
    pub query: String,
    pub body: String,
    /// What is sent instead of `body`, to change it after signing.
    pub sent_body: Option<String>,
    /// Signed as `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` (the body left out of the signature).
    pub unsigned: bool,
}

/// A TC3-HMAC-SHA256 request as Tencent's documentation describes it; the `Response`.
async fn send_tc3(app: &TestApp, key: (&str, &str), r: Tc3<'_>) -> Value {
    send_tc3_to(&app.http, &app.base, key, r).await
}

/// `send_tc3` to the server at `base`.
pub async fn send_tc3_to(
    http: &reqwest::Client,
    base: &str,
    (key_id, secret): (&str, &str),
    r: Tc3<'_>,
) -> Value {
    let content_type = if r.method == "GET" {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    };
    let timestamp = chrono::Utc::now().timestamp();
    let date = chrono::DateTime::from_timestamp(timestamp, 0)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    let canonical = format!(
        "{}\n/\n{}\ncontent-type:{content_type}\nhost:{}\n\ncontent-type;host\n{}",
        r.method,
        r.query,
        r.signed_host,
        hex(&Sha256::digest(if r.unsigned {
            &b"UNSIGNED-PAYLOAD"[..]
        } else {
            r.body.as_bytes()
        }))
    );
    let scope = format!("{date}/{}/tc3_request", r.service);
    let to_sign = format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = format!("TC3{secret}").into_bytes();
    for part in [date.as_str(), r.service, "tc3_request"] {
        key = hmac_sha256(&key, part);
    }
    let signature = hex(&hmac_sha256(&key, &to_sign));
    let url = if r.query.is_empty() {
        format!("{base}/")
    } else {
        format!("{base}/?{}", r.query)
    };
    let mut request = if r.method == "GET" {
        http.get(url)
    } else {
        http.post(url).body(r.sent_body.unwrap_or(r.body))
    };
    if r.unsigned {
        request = request.header("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD");
    }
    let response = request
        .header("Content-Type", content_type)
        .header("X-TC-Action", "ModifyApplicationCallbackInfo")
        .header("X-TC-Version", "2020-11-11")
        .header("X-TC-Timestamp", timestamp.to_string())
        .header(
            "Authorization",
            format!(
                "TC3-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders=content-type;host, \
                 Signature={signature}"
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["Response"].take()
}

fn modify_body(url: &str, operate_type: i64) -> String {
    json!({
        "Operator": { "UserId": "user-1" },
        "OperateType": operate_type,
        "CallbackInfo": { "CallbackUrl": url },
    })
    .to_string()
}

/// TC3: the host as sent (`127.0.0.1:<port>`) or without its port (tencentcloud-sdk-nodejs), the service
/// `ess` or the host's first label (`127`, what the SDKs derive from the endpoint); any other port, host or
/// service, or a body changed after signing, is refused. GET carries the parameters in the query.
async fn tencent_tc3_host_with_or_without_its_port_and_nothing_else(app: TestApp) {
    let (t, key_id, secret) = tenant_key(&app).await;
    let key = (key_id.as_str(), secret.as_str());
    let host = app.base.trim_start_matches("http://").to_owned();
    let bare = host.rsplit_once(':').unwrap().0.to_owned();
    let port: u16 = host.rsplit_once(':').unwrap().1.parse().unwrap();
    let post = |signed_host: &str, service: &'static str, url: &str| Tc3 {
        method: "POST",
        signed_host: signed_host.to_owned(),
        service,
        query: String::new(),
        body: modify_body(url, 1),
        sent_body: None,
        unsigned: false,
    };

    for (signed_host, service, url) in [
        (host.as_str(), "ess", "http://127.0.0.1:9/as-sent"),
        (bare.as_str(), "ess", "http://127.0.0.1:9/bare"),
        (bare.as_str(), "127", "http://127.0.0.1:9/node"),
    ] {
        let answer = send_tc3(&app, key, post(signed_host, service, url)).await;
        assert!(
            answer.get("Error").is_none(),
            "{signed_host} {service}: {answer}"
        );
    }
    let get = Tc3 {
        method: "GET",
        signed_host: bare.clone(),
        service: "127",
        query: "Operator.UserId=user-1&OperateType=1&CallbackInfo.CallbackUrl=http%3A%2F%2F127.0.0.1%3A9%2Fget%3Fa%3D1".into(),
        body: String::new(),
        sent_body: None,
        unsigned: false,
    };
    let answer = send_tc3(&app, key, get).await;
    assert!(answer.get("Error").is_none(), "GET: {answer}");
    let accepted = [
        "http://127.0.0.1:9/as-sent",
        "http://127.0.0.1:9/bare",
        "http://127.0.0.1:9/get?a=1",
        "http://127.0.0.1:9/node",
    ];
    assert_eq!(urls(&app, &t, "ess", "ess").await, accepted);

    let other_port = format!("{bare}:{}", port.wrapping_add(1).max(1));
    for signed_host in [
        other_port.as_str(),
        "127.0.0.1:80",
        "localhost",
        "127.0.0.2",
    ] {
        let answer = send_tc3(&app, key, post(signed_host, "ess", "http://127.0.0.1:9/no")).await;
        assert_eq!(
            error_code(&answer),
            "AuthFailure.SignatureFailure",
            "{signed_host}: {answer}"
        );
        let message = answer["Error"]["Message"].as_str().unwrap();
        assert!(
            message.contains("canonical request is:") && !message.contains(&secret),
            "{message}"
        );
    }
    let mut changed = post(&host, "ess", "http://127.0.0.1:9/signed");
    changed.sent_body = Some(modify_body("http://127.0.0.1:9/changed", 1));
    let answer = send_tc3(&app, key, changed).await;
    assert_eq!(
        error_code(&answer),
        "AuthFailure.SignatureFailure",
        "{answer}"
    );
    let mut unsigned = post(&host, "ess", "http://127.0.0.1:9/unsigned");
    unsigned.unsigned = true;
    let answer = send_tc3(&app, key, unsigned).await;
    assert_eq!(
        error_code(&answer),
        "AuthFailure.InvalidAuthorization",
        "{answer}"
    );
    let answer = send_tc3(&app, key, post(&host, "cvm", "http://127.0.0.1:9/no")).await;
    assert_eq!(
        error_code(&answer),
        "AuthFailure.InvalidAuthorization",
        "{answer}"
    );
    let answer = send_tc3(
        &app,
        (&key_id, "wrong"),
        post(&host, "ess", "http://127.0.0.1:9/no"),
    )
    .await;
    assert_eq!(
        error_code(&answer),
        "AuthFailure.SignatureFailure",
        "{answer}"
    );
    assert_eq!(
        urls(&app, &t, "ess", "ess").await,
        accepted,
        "nothing refused was stored"
    );
}

/// A request signed with Tencent's parameter signature: `METHOD host path ? k=v&…` (sorted, raw values).
fn tencent_v1(
    method: &str,
    signed_host: &str,
    sign_method: &str,
    (key_id, secret): (&str, &str),
    action_params: &[(&str, &str)],
    nonce: &str,
) -> BTreeMap<String, String> {
    let mut params: BTreeMap<String, String> = action_params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in [
        ("Action", "ModifyApplicationCallbackInfo"),
        ("Version", "2020-11-11"),
        ("SecretId", key_id),
        ("Nonce", nonce),
        ("SignatureMethod", sign_method),
    ] {
        params.insert(k.into(), v.into());
    }
    params.insert(
        "Timestamp".into(),
        chrono::Utc::now().timestamp().to_string(),
    );
    let joined: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let to_sign = format!("{method}{signed_host}/?{}", joined.join("&"));
    let digest = if sign_method == "HmacSHA256" {
        hmac_sha256(secret.as_bytes(), &to_sign)
    } else {
        hmac_sha1(secret.as_bytes(), &to_sign)
    };
    params.insert("Signature".into(), STANDARD.encode(digest));
    params
}

async fn send_v1(app: &TestApp, method: &str, params: &BTreeMap<String, String>) -> Value {
    let request = if method == "GET" {
        app.http.get(format!("{}/?{}", app.base, form(params)))
    } else {
        app.http
            .post(format!("{}/", app.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form(params))
    };
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["Response"].take()
}

/// The parameter signature: GET query and POST form body, HmacSHA1 and HmacSHA256, host with or without
/// its port; refused with another port, a changed parameter, a second use of the nonce, a missing
/// parameter or an unknown method.
async fn tencent_parameter_signature(app: TestApp) {
    let (t, key_id, secret) = tenant_key(&app).await;
    let key = (key_id.as_str(), secret.as_str());
    let host = app.base.trim_start_matches("http://").to_owned();
    let bare = host.rsplit_once(':').unwrap().0.to_owned();
    let add = |url: &'static str| {
        [
            ("Operator.UserId", "user-1"),
            ("OperateType", "1"),
            ("CallbackInfo.CallbackUrl", url),
        ]
    };
    // The same nonce in the same second: two different requests, both accepted (the SDKs draw nonces
    // from 0..65535, so different requests do share one).
    for (method, signed_host, sign_method, url) in [
        (
            "GET",
            host.as_str(),
            "HmacSHA1",
            "http://127.0.0.1:9/v1-get",
        ),
        (
            "POST",
            bare.as_str(),
            "HmacSHA256",
            "http://127.0.0.1:9/v1-post",
        ),
    ] {
        let params = tencent_v1(method, signed_host, sign_method, key, &add(url), "101");
        let answer = send_v1(&app, method, &params).await;
        assert!(answer.get("Error").is_none(), "{method}: {answer}");
        let replay = send_v1(&app, method, &params).await;
        assert_eq!(
            error_code(&replay),
            "AuthFailure.SignatureFailure",
            "{replay}"
        );
    }
    let accepted = ["http://127.0.0.1:9/v1-get", "http://127.0.0.1:9/v1-post"];
    assert_eq!(urls(&app, &t, "ess", "ess").await, accepted);

    let other_port = format!("{bare}:1");
    let params = tencent_v1(
        "POST",
        &other_port,
        "HmacSHA256",
        key,
        &add("http://127.0.0.1:9/no"),
        "102",
    );
    let answer = send_v1(&app, "POST", &params).await;
    assert_eq!(
        error_code(&answer),
        "AuthFailure.SignatureFailure",
        "{answer}"
    );
    assert!(answer["Error"]["Message"]
        .as_str()
        .unwrap()
        .contains("string to sign is:"));

    let mut changed = tencent_v1(
        "POST",
        &host,
        "HmacSHA256",
        key,
        &add("http://127.0.0.1:9/no"),
        "103",
    );
    changed.insert(
        "CallbackInfo.CallbackUrl".into(),
        "http://127.0.0.1:9/changed".into(),
    );
    let answer = send_v1(&app, "POST", &changed).await;
    assert_eq!(
        error_code(&answer),
        "AuthFailure.SignatureFailure",
        "{answer}"
    );

    let mut missing = tencent_v1(
        "GET",
        &host,
        "HmacSHA1",
        key,
        &add("http://127.0.0.1:9/no"),
        "104",
    );
    missing.remove("Nonce");
    let answer = send_v1(&app, "GET", &missing).await;
    assert_eq!(error_code(&answer), "MissingParameter", "{answer}");
    assert!(answer["Error"]["Message"]
        .as_str()
        .unwrap()
        .contains("Nonce"));

    let unknown = tencent_v1(
        "GET",
        &host,
        "HmacMD5",
        key,
        &add("http://127.0.0.1:9/no"),
        "105",
    );
    let answer = send_v1(&app, "GET", &unknown).await;
    assert_eq!(error_code(&answer), "InvalidParameterValue", "{answer}");
    assert_eq!(
        urls(&app, &t, "ess", "ess").await,
        accepted,
        "nothing refused was stored"
    );
}
