//! Sealing secrets at rest (AES-256-GCM under the master key), constant-time comparison, and loading or
//! generating the server's own secrets (master key, admin token) on first start.

use std::{fs, io::Write, path::Path};

use aes_gcm::{
    aead::{Aead, KeyInit},
    Aes256Gcm, Nonce,
};
use anyhow::{anyhow, bail, Context};
use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use rand::RngCore;
use subtle::ConstantTimeEq;

const NONCE_LEN: usize = 12;

/// What sealed text starts with (see [`Sealer::seal_text`]): letters and a dot, like the base64 after it
/// safe unescaped in a JSON string and in a URL's password.
const SEALED_TEXT: &str = "sealed.";

/// Encrypts secrets before they reach the store and decrypts them on the way out.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

#[derive(Debug, thiserror::Error)]
#[error("a sealed secret could not be opened: wrong master key or corrupted data")]
pub struct UnsealError;

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// `nonce || ciphertext+tag`.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    pub fn unseal(&self, sealed: &[u8]) -> Result<Vec<u8>, UnsealError> {
        if sealed.len() < NONCE_LEN {
            return Err(UnsealError);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| UnsealError)
    }

    /// A secret sealed into text, for secrets kept inside text columns: `sealed.` followed by the
    /// URL-safe base64 (unpadded) of [`Sealer::seal`].
    pub fn seal_text(&self, plaintext: &str) -> String {
        format!(
            "{SEALED_TEXT}{}",
            URL_SAFE_NO_PAD.encode(self.seal(plaintext.as_bytes()))
        )
    }

    /// The secret in `stored`: opened if it is sealed text, else `stored` itself — a value written in
    /// clear by a version that did not seal it yet (sealed at the next start, see
    /// `Service::seal_stored_secrets`). Sealed text that does not open is an error.
    pub fn open_text(&self, stored: &str) -> Result<String, UnsealError> {
        let Some(encoded) = stored.strip_prefix(SEALED_TEXT) else {
            return Ok(stored.to_owned());
        };
        let sealed = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| UnsealError)?;
        String::from_utf8(self.unseal(&sealed)?).map_err(|_| UnsealError)
    }

    /// Whether `stored` is text this key sealed. Anything else was written in clear.
    pub fn is_sealed_text(&self, stored: &str) -> bool {
        stored.starts_with(SEALED_TEXT) && self.open_text(stored).is_ok()
    }
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Parses a 32-byte key written as 64 hex digits or as base64.
pub fn parse_master_key(raw: &str) -> anyhow::Result<[u8; 32]> {
    let raw = raw.trim();
    let bytes = if raw.len() == 64 && raw.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&raw[2 * i..2 * i + 2], 16))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        STANDARD
            .decode(raw)
            .map_err(|_| anyhow!("master key must be 64 hex digits or base64 of 32 bytes"))?
    };
    bytes
        .try_into()
        .map_err(|_| anyhow!("master key must be exactly 32 bytes"))
}

/// The secret held in the file `path`, white space around it dropped; an error naming the file when it
/// cannot be read or holds nothing.
pub fn read_secret(path: &Path) -> anyhow::Result<String> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let text = text.trim();
    if text.is_empty() {
        bail!("{} is empty", path.display());
    }
    Ok(text.to_owned())
}

/// Reads a secret from `dir/name`, or generates one with `make`, stores it there (mode 0600) and reports
/// that it is new.
pub fn load_or_create_secret(
    dir: &Path,
    name: &str,
    make: impl FnOnce() -> String,
) -> anyhow::Result<(String, bool)> {
    let path = dir.join(name);
    if path.exists() {
        let value = fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .trim()
            .to_owned();
        if value.is_empty() {
            bail!(
                "{} is empty; delete it to generate a new one",
                path.display()
            );
        }
        return Ok((value, false));
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let value = make();
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(file, "{value}")?;
    file.sync_all()?;
    Ok((value, true))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 random bytes as hex.
pub fn random_hex32() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_and_tamper_detection() {
        let sealer = Sealer::new(&[7u8; 32]);
        let sealed = sealer.seal(b"top secret");
        assert!(!sealed.windows(10).any(|w| w == b"top secret"));
        assert_eq!(sealer.unseal(&sealed).unwrap(), b"top secret");
        let mut bad = sealed.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(sealer.unseal(&bad).is_err());
        assert!(Sealer::new(&[8u8; 32]).unseal(&sealed).is_err());
    }

    #[test]
    fn sealed_text_round_trips_and_tells_clear_text_apart() {
        let sealer = Sealer::new(&[7u8; 32]);
        let sealed = sealer.seal_text("Bearer top secret");
        assert!(sealed.starts_with("sealed.") && !sealed.contains("secret"));
        assert!(sealed[7..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(sealer.seal_text("Bearer top secret"), sealed, "fresh nonce");
        assert_eq!(sealer.open_text(&sealed).unwrap(), "Bearer top secret");
        assert!(sealer.is_sealed_text(&sealed));
        // Written in clear before sealing: read as it is, and not taken for sealed.
        assert_eq!(sealer.open_text("Bearer old").unwrap(), "Bearer old");
        assert!(!sealer.is_sealed_text("Bearer old"));
        // Sealed under another key, or damaged: an error, and not sealed by this key.
        let other = Sealer::new(&[8u8; 32]).seal_text("x");
        assert!(sealer.open_text(&other).is_err() && !sealer.is_sealed_text(&other));
        assert!(sealer.open_text("sealed.!!").is_err());
    }

    #[test]
    fn master_key_forms() {
        let hex = "00".repeat(31) + "ff";
        assert_eq!(parse_master_key(&hex).unwrap()[31], 0xff);
        assert_eq!(
            parse_master_key(&STANDARD.encode([1u8; 32])).unwrap(),
            [1u8; 32]
        );
        assert!(parse_master_key("short").is_err());
    }

    #[test]
    fn secrets_are_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let (a, new_a) = load_or_create_secret(dir.path(), "tok", || "abc".into()).unwrap();
        let (b, new_b) = load_or_create_secret(dir.path(), "tok", || "xyz".into()).unwrap();
        assert_eq!(
            (a.as_str(), new_a, b.as_str(), new_b),
            ("abc", true, "abc", false)
        );
    }
}
