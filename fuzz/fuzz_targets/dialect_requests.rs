//! The vendor dialects' request parsing and signature verification: Alibaba Cloud RPC calls signed with
//! the account's real secret (so parsing goes on past the signature into the actions' parameters), and
//! raw requests of every dialect — Alibaba ACS3 and RPC, Tencent TC3, Huawei App authentication and
//! link-config — with fuzzed query, headers and body. hookd must answer each without an internal error.
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};

use arbitrary::Arbitrary;
use hookd::dialects::aliyun::signature::rpc_signature;
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
    /// Anything, to any dialect route.
    Raw {
        method: u8,
        path: u8,
        query: &'a str,
        headers: Vec<(&'a str, &'a str)>,
        body: &'a [u8],
    },
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
            let signature = rpc_signature(h.secret.as_bytes(), method, &pairs);
            pairs.push(("Signature".to_owned(), signature));
            let answer = h.call(method, &format!("/?{}", query(&pairs)), "", &[], b"");
            assert_no_internal_error(&format!("signed {action}"), &answer);
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
