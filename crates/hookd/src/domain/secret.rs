//! Standard Webhooks signing secrets: `whsec_` followed by the base64 of 24 to 64 random bytes; and the
//! optional ed25519 key pair of asymmetric (`v1a`) signatures: `whsk_` + base64 of the 32-byte seed and
//! the 32-byte public key, `whpk_` + base64 of the public key.

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

/// An ed25519 signing key for `v1a` signatures.
#[derive(Clone, PartialEq, Eq)]
pub struct AsymmetricKey(ed25519_dalek::SigningKey);

impl AsymmetricKey {
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut seed);
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// `whsk_` + base64 of the seed (32 bytes) or of the seed and the public key (64 bytes).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bytes = raw
            .strip_prefix("whsk_")
            .and_then(|b| STANDARD.decode(b).ok())
            .ok_or_else(|| Invalid::new("signing_key", "must be `whsk_` followed by base64"))?;
        let seed: [u8; 32] = bytes
            .get(..32)
            .and_then(|s| s.try_into().ok())
            .filter(|_| bytes.len() == 32 || bytes.len() == 64)
            .ok_or_else(|| Invalid::new("signing_key", "must encode 32 or 64 bytes"))?;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        if bytes.len() == 64 && bytes[32..] != key.verifying_key().to_bytes() {
            return Err(Invalid::new(
                "signing_key",
                "its last 32 bytes are not the seed's public key",
            ));
        }
        Ok(Self(key))
    }

    pub fn expose(&self) -> String {
        let mut bytes = self.0.to_bytes().to_vec();
        bytes.extend_from_slice(&self.0.verifying_key().to_bytes());
        format!("whsk_{}", STANDARD.encode(bytes))
    }

    /// `whpk_…`, what receivers verify `v1a` signatures with.
    pub fn public_key(&self) -> String {
        format!(
            "whpk_{}",
            STANDARD.encode(self.0.verifying_key().to_bytes())
        )
    }

    /// The raw signature of `content`.
    pub fn sign(&self, content: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        self.0.sign(content).to_bytes()
    }
}

impl std::fmt::Debug for AsymmetricKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AsymmetricKey({})", self.public_key())
    }
}

/// A subscription's signing secrets: the current one, earlier ones that keep signing until their grace
/// period ends (secret rotation), and an optional ed25519 key for `v1a` signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSet {
    pub current: WebhookSecret,
    /// `(secret, expires_at_ms)`, newest first.
    pub previous: Vec<(WebhookSecret, i64)>,
    pub asymmetric: Option<AsymmetricKey>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredSecret {
    secret: String,
    #[serde(default)]
    expires_at: Option<i64>,
}

/// The stored form: a bare list of secrets, or the list with an ed25519 key.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum Stored {
    Symmetric(Vec<StoredSecret>),
    WithKey {
        secrets: Vec<StoredSecret>,
        ed25519: String,
    },
}

impl SecretSet {
    pub fn new(current: WebhookSecret) -> Self {
        Self {
            current,
            previous: Vec::new(),
            asymmetric: None,
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
        let stored = match &self.asymmetric {
            None => Stored::Symmetric(list),
            Some(key) => Stored::WithKey {
                secrets: list,
                ed25519: key.expose(),
            },
        };
        serde_json::to_vec(&stored).expect("serialising strings cannot fail")
    }

    pub fn from_json(raw: &[u8]) -> Result<Self, Invalid> {
        let stored: Stored = serde_json::from_slice(raw)
            .map_err(|e| Invalid::new("secrets", format!("stored secrets are unreadable: {e}")))?;
        let (list, asymmetric) = match stored {
            Stored::Symmetric(list) => (list, None),
            Stored::WithKey { secrets, ed25519 } => {
                (secrets, Some(AsymmetricKey::parse(&ed25519)?))
            }
        };
        let mut iter = list.into_iter();
        let current = iter
            .next()
            .ok_or_else(|| Invalid::new("secrets", "no current secret stored"))?;
        Ok(Self {
            current: WebhookSecret::parse(&current.secret)?,
            previous: iter
                .map(|s| Ok((WebhookSecret::parse(&s.secret)?, s.expires_at.unwrap_or(0))))
                .collect::<Result<_, Invalid>>()?,
            asymmetric,
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
    fn asymmetric_keys_round_trip_and_are_checked() {
        let key = AsymmetricKey::generate();
        assert_eq!(AsymmetricKey::parse(&key.expose()).unwrap(), key);
        let seed_only = format!(
            "whsk_{}",
            STANDARD.encode(&STANDARD.decode(&key.expose()[5..]).unwrap()[..32])
        );
        assert_eq!(AsymmetricKey::parse(&seed_only).unwrap(), key);
        let mut other = STANDARD.decode(&key.expose()[5..]).unwrap();
        other[40] ^= 1;
        let err = AsymmetricKey::parse(&format!("whsk_{}", STANDARD.encode(other))).unwrap_err();
        assert!(err.message.contains("public key"), "{}", err.message);
        assert!(AsymmetricKey::parse("whpk_AAAA").is_err());
        let mut set = SecretSet::new(WebhookSecret::generate());
        set.asymmetric = Some(key);
        assert_eq!(SecretSet::from_json(&set.to_json()).unwrap(), set);
        assert!(!format!("{set:?}").contains("whsk_"));
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
