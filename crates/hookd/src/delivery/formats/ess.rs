//! The `ess` format (Tencent Cloud ESS): `{MsgId, MsgType, MsgVersion: "CustomApp", MsgData}`. With a
//! CallbackKey the body becomes `{"encrypt": base64(AES-256-CBC(key = CallbackKey, iv = its first 16
//! bytes, PKCS#7))}`; with a CallbackToken, `Content-Signature: sha256=<hex HMAC-SHA256(token, body)>`.

use std::collections::BTreeMap;

use aes::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use serde_json::{json, value::RawValue};
use sha2::Sha256;

use super::{EventView, RenderError, Rendered};
use crate::crypto::hex;

pub fn render(
    event: &EventView<'_>,
    vendor: &BTreeMap<String, String>,
) -> Result<Rendered, RenderError> {
    let data = RawValue::from_string(event.payload.to_owned()).map_err(|e| e.to_string())?;
    let message = json!({ "MsgId": event.id, "MsgType": event.event_type, "MsgVersion": "CustomApp", "MsgData": data });
    let mut body = message.to_string();
    if let Some(key) = vendor.get("CallbackKey") {
        body = json!({ "encrypt": encrypt(key.as_bytes(), body.as_bytes())? }).to_string();
    }
    let mut rendered = Rendered::json(body);
    if let Some(token) = vendor.get("CallbackToken") {
        rendered.headers.push((
            "content-signature",
            format!(
                "sha256={}",
                content_signature(token.as_bytes(), &rendered.body)
            ),
        ));
    }
    Ok(rendered)
}

/// base64(AES-256-CBC(key, iv = key[..16], PKCS#7)).
pub fn encrypt(key: &[u8], plain: &[u8]) -> Result<String, RenderError> {
    if key.len() != 32 {
        return Err("CallbackKey must be 32 bytes".into());
    }
    let cipher = cbc::Encryptor::<aes::Aes256>::new_from_slices(key, &key[..16])
        .map_err(|e| e.to_string())?;
    Ok(STANDARD.encode(cipher.encrypt_padded_vec_mut::<Pkcs7>(plain)))
}

/// hex(HMAC-SHA256(token, body)).
pub fn content_signature(token: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(token).expect("HMAC accepts keys of any length");
    mac.update(body);
    hex(&mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answers computed with Python's `cryptography` and `hmac` modules.
    #[test]
    fn known_answers() {
        assert_eq!(
            encrypt(b"0123456789abcdef0123456789abcdef", b"hello").unwrap(),
            "UQdw44JDqzsxYpkSCwXDIA=="
        );
        assert_eq!(
            content_signature(b"tok_ABC", b"{}"),
            "688d9f02529fd6e1f4bf99a27fe6a78398ebb633ea69cfd1e458ad14293af5eb"
        );
    }

    #[test]
    fn plain_and_encrypted_bodies() {
        let event = EventView {
            id: "evt_1",
            event_type: "FlowStatusChange",
            payload: r#"{"FlowId":"f1"}"#,
            channel_id: None,
            user_id: None,
            created_at_ms: 0,
        };
        let plain = render(&event, &BTreeMap::new()).unwrap();
        assert_eq!(
            String::from_utf8(plain.body).unwrap(),
            r#"{"MsgData":{"FlowId":"f1"},"MsgId":"evt_1","MsgType":"FlowStatusChange","MsgVersion":"CustomApp"}"#
        );
        let vendor = BTreeMap::from([
            (
                "CallbackKey".to_owned(),
                "0123456789abcdef0123456789abcdef".to_owned(),
            ),
            ("CallbackToken".to_owned(), "tok".to_owned()),
        ]);
        let sealed = render(&event, &vendor).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&sealed.body).unwrap();
        assert!(body["encrypt"].is_string());
        let sig = &sealed
            .headers
            .iter()
            .find(|(k, _)| *k == "content-signature")
            .unwrap()
            .1;
        assert_eq!(
            sig,
            &format!("sha256={}", content_signature(b"tok", &sealed.body))
        );
    }
}
