//! The `native` format: the event payload as the body, signed per Standard Webhooks
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256(key, id.ts.body)>`,
//! one space-separated entry per active secret).

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::{AsymmetricKey, SecretSet};

/// The Standard Webhooks headers for `body`: `webhook-id`, `webhook-timestamp` and one `v1,` signature per
/// active secret, then a `v1a,` (ed25519) signature when the subscription has a signing key.
pub fn signature_headers(
    msg_id: &str,
    body: &[u8],
    secrets: &SecretSet,
    now_ms: i64,
) -> [(&'static str, String); 3] {
    let timestamp = now_ms.div_euclid(1000);
    let signature = secrets
        .active(now_ms)
        .map(|s| sign(s.key(), msg_id, timestamp, body))
        .chain(
            secrets
                .asymmetric
                .iter()
                .map(|k| sign_asymmetric(k, msg_id, timestamp, body)),
        )
        .collect::<Vec<_>>()
        .join(" ");
    [
        ("webhook-id", msg_id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature),
    ]
}

/// `v1a,` + base64(ed25519 signature of "{id}.{timestamp}.{body}").
pub fn sign_asymmetric(key: &AsymmetricKey, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut content = format!("{msg_id}.{timestamp}.").into_bytes();
    content.extend_from_slice(body);
    format!("v1a,{}", STANDARD.encode(key.sign(&content)))
}

/// `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")).
pub fn sign(key: &[u8], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::WebhookSecret;

    /// The example of the Standard Webhooks specification.
    #[test]
    fn known_answer_from_the_specification() {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = sign(
            secret.key(),
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn signs_with_every_active_secret() {
        let mut set = SecretSet::new(WebhookSecret::generate());
        set.rotate(WebhookSecret::generate(), 0, 10_000);
        let signatures = |now| {
            let [_, _, (_, sig)] = signature_headers("evt_1", b"{}", &set, now);
            sig.split(' ').count()
        };
        assert_eq!(signatures(5_000), 2);
        assert_eq!(signatures(10_000), 1);
    }

    proptest::proptest! {
        /// What hookd signs, the independent `standardwebhooks` implementation verifies, for any body
        /// (callback bodies are text: JSON or form data), message id and key; a changed body or a wrong
        /// key does not verify.
        #[test]
        fn signatures_verify_independently(
            text in "\\PC{0,512}",
            id in "[A-Za-z0-9_]{1,40}",
            key in proptest::collection::vec(proptest::prelude::any::<u8>(), 24..=64),
        ) {
            use base64::{engine::general_purpose::STANDARD, Engine};
            let body = text.into_bytes();
            let secret = format!("whsec_{}", STANDARD.encode(&key));
            let set = SecretSet::new(WebhookSecret::parse(&secret).unwrap());
            let now = crate::domain::now_ms();
            let mut headers = axum::http::HeaderMap::new();
            for (name, value) in signature_headers(&id, &body, &set, now) {
                headers.insert(name, value.parse().unwrap());
            }
            let webhook = standardwebhooks::Webhook::new(&secret).unwrap();
            proptest::prop_assert!(webhook.verify(&body, &headers).is_ok());
            let mut altered = body.clone();
            altered.push(b' ');
            proptest::prop_assert!(webhook.verify(&altered, &headers).is_err());
            let mut other = key.clone();
            other[0] ^= 1;
            let wrong = standardwebhooks::Webhook::new(&format!("whsec_{}", STANDARD.encode(&other))).unwrap();
            proptest::prop_assert!(wrong.verify(&body, &headers).is_err());
        }
    }
}
