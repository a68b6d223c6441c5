//! Alibaba: the RPC signature with parameters in the query, a form body or both, and ACS3.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::STANDARD, Engine};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::{both_backends, helpers::TestApp};

use super::*;

both_backends!(alibaba_rpc_parameters_from_the_query_a_form_body_or_both,);

const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// Alibaba's RPC signature over every parameter, as its documentation describes it.
fn rpc_signed(
    method: &str,
    key: (&str, &str),
    action_params: &[(&str, &str)],
) -> BTreeMap<String, String> {
    let nonce = format!(
        "{:x}",
        Sha256::digest(format!("{action_params:?}{}", rand_suffix()))
    );
    rpc_signed_with_nonce(method, key, action_params, &nonce[..32])
}

/// `rpc_signed` with the given `SignatureNonce`.
pub fn rpc_signed_with_nonce(
    method: &str,
    (key_id, secret): (&str, &str),
    action_params: &[(&str, &str)],
    nonce: &str,
) -> BTreeMap<String, String> {
    let mut params: BTreeMap<String, String> = action_params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    for (k, v) in [
        ("Action", "UpdateAccountWebhook"),
        ("Version", "2020-06-06"),
        ("Format", "JSON"),
        ("AccessKeyId", key_id),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce),
        ("Timestamp", &now),
    ] {
        params.insert(k.into(), v.into());
    }
    let pairs: Vec<(String, String)> = params.clone().into_iter().collect();
    params.insert("Signature".into(), rpc_sign(method, secret, &pairs));
    params
}

/// The RPC signature of `pairs` (sorted by encoded name and value, each occurrence signed).
fn rpc_sign(method: &str, secret: &str, pairs: &[(String, String)]) -> String {
    let mut canonical: Vec<(String, String)> =
        pairs.iter().map(|(k, v)| (enc(k), enc(v))).collect();
    canonical.sort();
    let joined: Vec<String> = canonical.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let to_sign = format!("{method}&%2F&{}", enc(&joined.join("&")));
    STANDARD.encode(hmac_sha1(format!("{secret}&").as_bytes(), &to_sign))
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// `POST /` with `query` in the query string and `body` as a form body; the status and the answer.
async fn send_rpc(
    app: &TestApp,
    query: &BTreeMap<String, String>,
    body: &BTreeMap<String, String>,
) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}/?{}", app.base, form(query)))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form(body))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Splits signed parameters: those named in `to_body` go in the body, the rest in the query.
fn split(
    params: &BTreeMap<String, String>,
    to_body: &[&str],
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    params
        .clone()
        .into_iter()
        .partition(|(k, _)| !to_body.contains(&k.as_str()))
}

/// The RPC signature with every parameter in the query, all in a form body (pop-core's POST), or split
/// between them (the OpenAPI client's); a body changed after signing, a parameter sent twice with two
/// values, or a JSON body beside an RPC signature are refused and store nothing.
async fn alibaba_rpc_parameters_from_the_query_a_form_body_or_both(app: TestApp) {
    let (t, key_id, secret) = tenant_key(&app).await;
    let key = (key_id.as_str(), secret.as_str());
    let webhook = |url: &'static str| [("StatusCallbackUrl", url), ("HttpFlag", "Y")];
    let everything: Vec<&str> = vec![
        "Action",
        "Version",
        "Format",
        "AccessKeyId",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
        "Signature",
        "StatusCallbackUrl",
        "HttpFlag",
    ];
    let cases: [(&'static str, &[&str]); 3] = [
        ("http://127.0.0.1:9/query", &[]),
        ("http://127.0.0.1:9/body", &everything),
        (
            "http://127.0.0.1:9/both",
            &["StatusCallbackUrl", "HttpFlag"],
        ),
    ];
    for (url, to_body) in cases {
        let params = rpc_signed("POST", key, &webhook(url));
        let (query, body) = split(&params, to_body);
        let (status, answer) = send_rpc(&app, &query, &body).await;
        assert_eq!(
            (status, &answer["Code"]),
            (200, &json!("OK")),
            "{url}: {answer}"
        );
        assert_eq!(urls(&app, &t, "cams", "cams").await, [url]);
    }

    let params = rpc_signed("POST", key, &webhook("http://127.0.0.1:9/signed"));
    let (query, mut body) = split(&params, &everything);
    body.insert(
        "StatusCallbackUrl".into(),
        "http://127.0.0.1:9/changed".into(),
    );
    let (status, answer) = send_rpc(&app, &query, &body).await;
    assert_eq!(
        (status, answer["Code"].as_str()),
        (400, Some("SignatureDoesNotMatch")),
        "{answer}"
    );
    let message = answer["Message"].as_str().unwrap();
    assert!(
        message.contains("server string to sign is:POST&%2F&AccessKeyId%3D"),
        "{message}"
    );
    assert!(
        message.contains("changed") && !message.contains(&secret),
        "{message}"
    );

    let params = rpc_signed("POST", key, &webhook("http://127.0.0.1:9/twice"));
    let (query, mut body) = split(&params, &["StatusCallbackUrl"]);
    body.insert("HttpFlag".into(), "N".into());
    let (status, answer) = send_rpc(&app, &query, &body).await;
    assert_eq!(
        (status, answer["Code"].as_str()),
        (400, Some("InvalidParameter")),
        "{answer}"
    );
    assert!(answer["Message"].as_str().unwrap().contains("HttpFlag"));

    let params = rpc_signed("POST", key, &webhook("http://127.0.0.1:9/json"));
    let response = app
        .http
        .post(format!("{}/?{}", app.base, form(&params)))
        .header("Content-Type", "application/json")
        .body(r#"{"QueueFlag":"Y"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["Code"], "InvalidParameter", "{answer}");

    // A name repeated with one value, in the query and the body: signed as sent (twice) or as the SDKs'
    // maps merge it (once), accepted either way.
    let params = rpc_signed("POST", key, &webhook("http://127.0.0.1:9/repeated-once"));
    let (query, mut body) = split(&params, &["StatusCallbackUrl"]);
    body.insert("HttpFlag".into(), "Y".into());
    let (status, answer) = send_rpc(&app, &query, &body).await;
    assert_eq!((status, &answer["Code"]), (200, &json!("OK")), "{answer}");
    let mut params = rpc_signed("POST", key, &webhook("http://127.0.0.1:9/repeated-twice"));
    params.remove("Signature");
    let mut sent: Vec<(String, String)> = params.clone().into_iter().collect();
    sent.push(("HttpFlag".into(), "Y".into()));
    let signature = rpc_sign("POST", &secret, &sent);
    params.insert("Signature".into(), signature);
    let (query, mut body) = split(&params, &["StatusCallbackUrl"]);
    body.insert("HttpFlag".into(), "Y".into());
    let (status, answer) = send_rpc(&app, &query, &body).await;
    assert_eq!((status, &answer["Code"]), (200, &json!("OK")), "{answer}");

    let mut unsigned = rpc_signed("POST", key, &webhook("http://127.0.0.1:9/unsigned"));
    unsigned.remove("Signature");
    let (status, answer) = send_rpc(&app, &BTreeMap::new(), &unsigned).await;
    assert_eq!(
        (status, answer["Code"].as_str()),
        (400, Some("MissingSignature")),
        "{answer}"
    );
    assert_eq!(
        urls(&app, &t, "cams", "cams").await,
        ["http://127.0.0.1:9/repeated-twice"],
        "nothing refused was stored"
    );
}
