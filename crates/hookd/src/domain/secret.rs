//! Standard Webhooks signing secrets: `whsec_` followed by the base64 of 24 to 64 random bytes.

use base64::{engine::general_purpose::STANDARD, Engine};
use rand::RngCore;

use super::Invalid;

const PREFIX: &str = "whsec_";

#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

impl WebhookSecret {
    /// A fresh secret of 32 random bytes.
    pub fn generate() -> Self {
        let mut key = vec![0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        Self { key }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let encoded = raw
            .strip_prefix(PREFIX)
            .ok_or_else(|| Invalid::new("secret", "must start with `whsec_` followed by base64"))?;
        let key = STANDARD
            .decode(encoded)
            .map_err(|_| Invalid::new("secret", "the part after `whsec_` is not valid base64"))?;
        if !(24..=64).contains(&key.len()) {
            return Err(Invalid::new(
                "secret",
                format!("must encode 24 to 64 bytes, got {}", key.len()),
            ));
        }
        Ok(Self { key })
    }

    /// The HMAC key bytes.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The `whsec_…` form shown to the account owner.
    pub fn expose(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.key))
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}

/// A subscription's signing secrets: the current one, and earlier ones that keep signing until their
/// grace period ends (secret rotation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSet {
    pub current: WebhookSecret,
    /// `(secret, expires_at_ms)`, newest first.
    pub previous: Vec<(WebhookSecret, i64)>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredSecret {
    secret: String,
    #[serde(default)]
    expires_at: Option<i64>,
}

impl SecretSet {
    pub fn new(current: WebhookSecret) -> Self {
        Self {
            current,
            previous: Vec::new(),
        }
    }

    /// Secrets that sign at `now`: the current one first.
    pub fn active(&self, now: i64) -> impl Iterator<Item = &WebhookSecret> {
        std::iter::once(&self.current).chain(
            self.previous
                .iter()
                .filter(move |(_, until)| *until > now)
                .map(|(s, _)| s),
        )
    }

    /// Makes `next` current; the old current keeps signing until `grace_until`. Expired ones are dropped.
    pub fn rotate(&mut self, next: WebhookSecret, now: i64, grace_until: i64) {
        let old = std::mem::replace(&mut self.current, next);
        self.previous.retain(|(_, until)| *until > now);
        self.previous.insert(0, (old, grace_until));
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut list = vec![StoredSecret {
            secret: self.current.expose(),
            expires_at: None,
        }];
        list.extend(self.previous.iter().map(|(s, until)| StoredSecret {
            secret: s.expose(),
            expires_at: Some(*until),
        }));
        serde_json::to_vec(&list).expect("serialising strings cannot fail")
    }

    pub fn from_json(raw: &[u8]) -> Result<Self, Invalid> {
        let list: Vec<StoredSecret> = serde_json::from_slice(raw)
            .map_err(|e| Invalid::new("secrets", format!("stored secrets are unreadable: {e}")))?;
        let mut iter = list.into_iter();
        let current = iter
            .next()
            .ok_or_else(|| Invalid::new("secrets", "no current secret stored"))?;
        Ok(Self {
            current: WebhookSecret::parse(&current.secret)?,
            previous: iter
                .map(|s| Ok((WebhookSecret::parse(&s.secret)?, s.expires_at.unwrap_or(0))))
                .collect::<Result<_, Invalid>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_the_old_secret_for_the_grace_period() {
        let first = WebhookSecret::generate();
        let second = WebhookSecret::generate();
        let mut set = SecretSet::new(first.clone());
        set.rotate(second.clone(), 1_000, 5_000);
        assert_eq!(set.active(4_999).collect::<Vec<_>>(), vec![&second, &first]);
        assert_eq!(set.active(5_000).collect::<Vec<_>>(), vec![&second]);
        let back = SecretSet::from_json(&set.to_json()).unwrap();
        assert_eq!(back, set);
    }

    #[test]
    fn round_trips_and_checks_length() {
        let s = WebhookSecret::generate();
        assert_eq!(WebhookSecret::parse(&s.expose()).unwrap(), s);
        assert!(WebhookSecret::parse("whsec_AAAA").is_err());
        assert!(WebhookSecret::parse("sk_abc").is_err());
        assert!(WebhookSecret::parse("whsec_!!!").is_err());
        assert_eq!(format!("{s:?}"), "WebhookSecret(***)");
    }
}
