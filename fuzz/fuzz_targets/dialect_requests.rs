//! The vendor dialects' request parsing and signature verification: calls signed correctly with the
//! account's real secret (Alibaba Cloud RPC, Tencent Cloud TC3, Huawei Cloud Meeting with an access token
//! from App authentication), so parsing goes on past the signature into the actions' parameters, and raw
//! requests of every dialect with fuzzed query, headers and body. hookd must answer each without an
//! internal error.
#![no_main]

use std::sync::{
    atomic::{AtomicU64, Ordering},
    OnceLock,
};

use arbitrary::Arbitrary;
use base64::{engine::general_purpose::STANDARD, Engine};
use hookd::dialects::{aliyun::signature::rpc_signature, huawei::app_auth_signature, tencent::tc3};
use hookd_fuzz::{assert_no_internal_error, Harness};
use libfuzzer_sys::fuzz_target;

const ACTIONS: &[(&str, &str)] = &[
    ("UpdateAccountWebhook", "2020-06-06"),
    ("UpdatePhoneWebhook", "2020-06-06"),
    ("AddLiveSnapshotNotifyConfig", "2016-11-01"),
    ("UpdateLiveSnapshotNotifyConfig", "2016-11-01"),
    ("DescribeLiveSnapshotNotifyConfig", "2016-11-01"),
    ("DeleteLiveSnapshotNotifyConfig", "2016-11-01"),
    ("CreateEventSub", "2016-11-01"),
    ("UpdateEventSub", "2016-11-01"),
    ("DeleteEventSub", "2016-11-01"),
    ("ListEventSub", "2016-11-01"),
];

const RAW_PATHS: &[&str] = &[
    "/",
    "/v2/usg/acs/auth/appauth",
    "/v1/mmc/management/webhook/link-config",
    "/v1/mmc/management/webhook/change-status",
];

#[derive(Arbitrary, Debug)]
enum Input<'a> {
    /// A signed Alibaba Cloud RPC call of one of the actions, with fuzzed parameters.
    SignedRpc {
        action: u8,
        post: bool,
        params: Vec<(&'a str, &'a str)>,
    },
    /// A Tencent Cloud ESS call signed with TC3-HMAC-SHA256, with a fuzzed JSON body.
    SignedTc3 { body: &'a [u8] },
    /// A Huawei Cloud Meeting link-config call with a valid access token, fuzzed query and body.
    Meeting {
        method: u8,
        path: u8,
        query: &'a str,
        body: &'a [u8],
    },
    /// Anything, to any dialect route.
    Raw {
        method: u8,
        path: u8,
        query: &'a str,
        headers: Vec<(&'a str, &'a str)>,
        body: &'a [u8],
    },
}

/// The TC3 headers of an ESS `ModifyApplicationCallbackInfo` call with `body`, signed with the key.
fn tc3_headers(h: &Harness, body: &[u8]) -> Vec<(String, String)> {
    let timestamp = chrono::Utc::now().timestamp();
    let mut headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("host".to_owned(), "hookd".to_owned()),
        (
            "x-tc-action".to_owned(),
            "ModifyApplicationCallbackInfo".to_owned(),
        ),
        ("x-tc-version".to_owned(), "2020-11-11".to_owned()),
        ("x-tc-timestamp".to_owned(), timestamp.to_string()),
    ];
    let map: axum::http::HeaderMap = headers
        .iter()
        .map(|(k, v)| (k.parse().expect("name"), v.parse().expect("value")))
        .collect();
    let date = chrono::DateTime::from_timestamp(timestamp, 0)
        .expect("now")
        .format("%Y-%m-%d")
        .to_string();
    let auth = tc3::Authorization {
        secret_id: &h.key_id,
        date: &date,
        service: "ess",
        signed_headers: "content-type;host",
        signature: "",
    };
    let signature = tc3::expected_signature(
        h.secret.as_bytes(),
        "POST",
        "",
        &map,
        body,
        &auth,
        timestamp,
    )
    .expect("the signed headers are present");
    headers.push((
        "authorization".to_owned(),
        format!(
            "TC3-HMAC-SHA256 Credential={}/{date}/ess/tc3_request, SignedHeaders=content-type;host, Signature={signature}",
            h.key_id
        ),
    ));
    headers
}

/// A Meeting access token for the account's key, from App authentication (once per process).
fn meeting_token(h: &Harness) -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let expire = chrono::Utc::now().timestamp() + 3600;
        let nonce = "fuzz-nonce-0123456789abcdef0123456789";
        let signature = app_auth_signature(
            h.secret.as_bytes(),
            &format!("{}:user01:{expire}:{nonce}", h.key_id),
        );
        let body = format!(
            r#"{{"appId":"{}","userId":"user01","expireTime":{expire},"nonce":"{nonce}","clientType":72}}"#,
            h.key_id
        );
        let authorization = format!(
            "HMAC-SHA256 signature={signature},access={}",
            STANDARD.encode(&h.key_id)
        );
        let answer = h.call(
            "POST",
            "/v2/usg/acs/auth/appauth",
            "",
            &[("authorization".to_owned(), authorization)],
            body.as_bytes(),
        );
        let parsed: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON");
        parsed["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("App authentication failed: {parsed}"))
            .to_owned()
    })
}

fn query(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fuzz_target!(|input: Input<'_>| {
    static NONCE: AtomicU64 = AtomicU64::new(0);
    let h = Harness::get();
    match input {
        Input::SignedRpc {
            action,
            post,
            params,
        } => {
            let (action, version) = ACTIONS[action as usize % ACTIONS.len()];
            let mut pairs: Vec<(String, String)> = params
                .iter()
                .take(12)
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            for (k, v) in [
                ("Action", action.to_owned()),
                ("Version", version.to_owned()),
                ("AccessKeyId", h.key_id.clone()),
                ("SignatureMethod", "HMAC-SHA1".to_owned()),
                ("SignatureVersion", "1.0".to_owned()),
                (
                    "SignatureNonce",
                    format!("fuzz-{}", NONCE.fetch_add(1, Ordering::Relaxed)),
                ),
                (
                    "Timestamp",
                    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                ),
            ] {
                pairs.retain(|(name, _)| name != k);
                pairs.push((k.to_owned(), v));
            }
            let method = if post { "POST" } else { "GET" };
            pairs.retain(|(name, _)| name != "Signature");
            let signature = rpc_signature(h.secret.as_bytes(), method, &pairs);
            pairs.push(("Signature".to_owned(), signature));
            let answer = h.call(method, &format!("/?{}", query(&pairs)), "", &[], b"");
            assert_no_internal_error(&format!("signed {action}"), &answer);
            let text = String::from_utf8_lossy(&answer.body);
            for refusal in [
                "SignatureDoesNotMatch",
                "SignatureNonceUsed",
                "InvalidTimeStamp",
            ] {
                assert!(
                    !text.contains(refusal),
                    "a correctly signed call was refused: {text}"
                );
            }
        }
        Input::SignedTc3 { body } => {
            let headers = tc3_headers(h, body);
            let answer = h.call("POST", "/", "", &headers, body);
            assert_no_internal_error("signed ESS call", &answer);
            let text = String::from_utf8_lossy(&answer.body);
            assert!(
                !text.contains("AuthFailure"),
                "a correctly signed call was refused: {text}"
            );
        }
        Input::Meeting {
            method,
            path,
            query,
            body,
        } => {
            let token = meeting_token(h);
            let (method, path) = [
                ("POST", "/v1/mmc/management/webhook/link-config"),
                ("GET", "/v1/mmc/management/webhook/link-config"),
                ("DELETE", "/v1/mmc/management/webhook/link-config"),
                ("PUT", "/v1/mmc/management/webhook/change-status"),
            ][(method ^ path) as usize % 4];
            let uri = if query.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{query}")
            };
            let headers = vec![("x-access-token".to_owned(), token.to_owned())];
            let answer = h.call(method, &uri, "", &headers, body);
            assert_no_internal_error(&format!("{method} {uri}"), &answer);
        }
        Input::Raw {
            method,
            path,
            query,
            headers,
            body,
        } => {
            let method = ["GET", "POST", "PUT", "DELETE"][method as usize % 4];
            let path = RAW_PATHS[path as usize % RAW_PATHS.len()];
            let uri = if query.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{query}")
            };
            let headers: Vec<(String, String)> = headers
                .iter()
                .take(10)
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let answer = h.call(method, &uri, "", &headers, body);
            assert_no_internal_error(&format!("{method} {uri}"), &answer);
        }
    }
});
