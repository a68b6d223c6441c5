//! The request forms the vendors document beside their Python SDKs' default, signed here as the vendors
//! document them (independently of hookd's verifiers): Tencent TC3 over POST JSON and GET query with the
//! host as sent or without its port, and the parameter signature (HmacSHA1/HmacSHA256); Alibaba's RPC
//! signature with parameters in the query, a form body or both, and ACS3 with a form body. Each accepted
//! form is paired with the changes that must be refused: a host with another port, a body changed after
//! signing, a parameter given twice, a replay. The official Node.js clients drive the same forms in
//! `conformance/test_node_clients.py`.
use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::helpers::{Tenant, TestApp};

mod aliyun;
mod tencent;

pub use aliyun::rpc_signed_with_nonce;
pub use tencent::{send_tc3_to, Tc3};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac_sha256(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hmac_sha1(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// A tenant's `ess`/`cams` key: (account, key id, secret).
async fn tenant_key(app: &TestApp) -> (Tenant, String, String) {
    let t = app.tenant().await;
    let key = app.key(&t.account_id, &["*"]).await;
    let (id, secret) = (key.str("key_id"), key.str("secret"));
    (t, id, secret)
}

async fn urls(app: &TestApp, t: &Tenant, app_id: &str, source: &str) -> Vec<String> {
    let list = app
        .get(&format!("/api/v1/apps/{app_id}/subscriptions"), &t.token)
        .await
        .expect(200);
    let mut urls: Vec<String> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["source"] == source)
        .map(|s| s["url"].as_str().unwrap().to_owned())
        .collect();
    urls.sort();
    urls
}

fn error_code(response: &Value) -> &str {
    response["Error"]["Code"].as_str().unwrap_or("")
}

pub fn form(params: &BTreeMap<String, String>) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}
