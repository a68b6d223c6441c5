//! The `meeting` format (Huawei Cloud Meeting): `{appID, timestamp, nonce, signature, eventInfo}`, where
//! `signature` is hex HMAC-SHA256 keyed with the subscriber key over appID + timestamp + nonce + the
//! eventInfo JSON exactly as sent. Used now for the `meeting.verify` handshake that enabling a Meeting
//! webhook config runs.

use hmac::{Hmac, Mac};
use rand::RngCore;
use serde_json::json;
use sha2::Sha256;

use super::Rendered;
use crate::crypto::hex;

/// hex(HMAC-SHA256(subscriber_key, app_id + timestamp + nonce + event_info)).
pub fn sign(
    subscriber_key: &[u8],
    app_id: &str,
    timestamp: i64,
    nonce: &str,
    event_info: &str,
) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(subscriber_key).expect("HMAC accepts keys of any length");
    mac.update(app_id.as_bytes());
    mac.update(timestamp.to_string().as_bytes());
    mac.update(nonce.as_bytes());
    mac.update(event_info.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// A signed callback carrying `event` and `payload`, with a fresh nonce (returned with it).
pub fn render(
    app_id: &str,
    subscriber_key: &[u8],
    event: &str,
    payload: &serde_json::Value,
    now_ms: i64,
) -> (Rendered, String) {
    let mut raw = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut raw);
    let nonce = hex(&raw);
    let event_info = json!({ "event": event, "timestamp": now_ms, "payload": payload }).to_string();
    let signature = sign(subscriber_key, app_id, now_ms, &nonce, &event_info);
    // eventInfo is spliced in as the exact text that was signed.
    let body = format!(
        r#"{{"appID":{},"timestamp":{now_ms},"nonce":"{nonce}","signature":"{signature}","eventInfo":{event_info}}}"#,
        json!(app_id)
    );
    let rendered = Rendered {
        body: body.into_bytes(),
        headers: vec![("content-type", "application/json".to_owned())],
    };
    (rendered, nonce)
}

/// Whether a receiver's answer echoes the handshake nonce (as the whole body or as `{"nonce": …}`).
pub fn echoes(reply: &str, nonce: &str) -> bool {
    reply.trim() == nonce
        || serde_json::from_str::<serde_json::Value>(reply)
            .is_ok_and(|v| v.get("nonce").and_then(|n| n.as_str()) == Some(nonce))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_covers_the_event_info_as_sent() {
        let (rendered, nonce) = render(
            "app1",
            b"key",
            "meeting.verify",
            &json!({}),
            1_700_000_000_000,
        );
        let body: serde_json::Value = serde_json::from_slice(&rendered.body).unwrap();
        let text = String::from_utf8(rendered.body.clone()).unwrap();
        let info = &text[text.find(r#""eventInfo":"#).unwrap() + 12..text.len() - 1];
        assert_eq!(
            body["signature"],
            sign(b"key", "app1", 1_700_000_000_000, &nonce, info)
        );
        assert_eq!(body["eventInfo"]["event"], "meeting.verify");
        assert!(echoes(&nonce, &nonce) && echoes(&format!(r#"{{"nonce":"{nonce}"}}"#), &nonce));
        assert!(!echoes("ok", &nonce));
    }

    #[test]
    fn known_answer() {
        // hex(HMAC-SHA256("key", "app1" "1700000000000" "n1" "{}")), computed with Python's hmac module.
        assert_eq!(
            sign(b"key", "app1", 1_700_000_000_000, "n1", "{}"),
            "c0645bdd5109da39ebd4e30a666b82c41162afd6d012c203bafa9ddc449f4281"
        );
    }
}
