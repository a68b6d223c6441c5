//! The `native` format: the event payload as the body, signed per Standard Webhooks
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256(key, id.ts.body)>`,
//! one space-separated entry per active secret).

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{EventView, Rendered};
use crate::domain::SecretSet;

pub fn render(event: &EventView<'_>, secrets: &SecretSet, now_ms: i64) -> Rendered {
    let timestamp = now_ms.div_euclid(1000);
    let body = event.payload.as_bytes().to_vec();
    let signature = secrets
        .active(now_ms)
        .map(|s| sign(s.key(), event.id, timestamp, &body))
        .collect::<Vec<_>>()
        .join(" ");
    Rendered {
        headers: vec![
            ("content-type", "application/json".to_owned()),
            ("webhook-id", event.id.to_owned()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
        ],
        body,
    }
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
        let event = EventView {
            id: "evt_1",
            event_type: "t",
            payload: "{}",
        };
        let r = render(&event, &set, 5_000);
        let sig = &r
            .headers
            .iter()
            .find(|(k, _)| *k == "webhook-signature")
            .unwrap()
            .1;
        assert_eq!(sig.split(' ').count(), 2);
        let r = render(&event, &set, 10_000);
        let sig = &r
            .headers
            .iter()
            .find(|(k, _)| *k == "webhook-signature")
            .unwrap()
            .1;
        assert_eq!(sig.split(' ').count(), 1);
    }
}
