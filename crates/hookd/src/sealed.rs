//! The secrets a subscription keeps inside its text columns, sealed in place with the master key: each
//! custom header value (the `headers` JSON object keeps its names in clear and each value as sealed text)
//! and the password of a queue URL (the `url` keeps its scheme, user, host and path; its password is
//! sealed text). Sealed in place, the columns keep their shape for everything that reads names, hosts and
//! paths; only sending opens them. Reads show the values masked: header values as [`MASKED`], a URL's
//! password as `****` ([`crate::domain::url::redact`]). Values written in clear by an earlier version are
//! read as they are and sealed at the next start (`Service::seal_stored_secrets`).

use std::collections::BTreeMap;

use crate::{
    crypto::{Sealer, UnsealError},
    domain::{url::redact, ExtraHeaders, Invalid},
};

/// What a masked value shows: custom header values in every read, and secret headers in a delivery's
/// request. It is not a valid header value (not ASCII), so a PATCH can send it back to mean "keep".
pub const MASKED: &str = "••••••";

/// The stored `headers` object; a stored row always holds one.
fn stored_headers(stored: &str) -> Result<BTreeMap<String, String>, serde_json::Error> {
    serde_json::from_str(stored)
}

/// `headers` as stored: the names, each value sealed.
pub fn seal_headers(sealer: &Sealer, headers: &ExtraHeaders) -> String {
    let sealed: BTreeMap<&str, String> = headers
        .iter()
        .map(|(name, value)| (name.as_str(), sealer.seal_text(value)))
        .collect();
    serde_json::to_string(&sealed).expect("a map of strings serialises")
}

/// The stored `headers` with their values opened.
pub fn open_headers(sealer: &Sealer, stored: &str) -> Result<BTreeMap<String, String>, String> {
    stored_headers(stored)
        .map_err(|e| format!("stored headers are unreadable: {e}"))?
        .into_iter()
        .map(|(name, value)| {
            let value = sealer
                .open_text(&value)
                .map_err(|e| format!("header `{name}`: {e}"))?;
            Ok((name, value))
        })
        .collect()
}

/// The stored `headers` as reads show them: the names, every value [`MASKED`].
pub fn masked_headers(stored: &str) -> Result<BTreeMap<String, String>, serde_json::Error> {
    Ok(stored_headers(stored)?
        .into_keys()
        .map(|name| (name, MASKED.to_owned()))
        .collect())
}

/// The headers a PATCH sets: those it gives, where each value sent back as [`MASKED`] stands for the
/// value stored under that name (`current`, opened), so that a read, changed and written back, keeps them.
pub fn unmask(
    given: &BTreeMap<String, String>,
    current: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Invalid> {
    given
        .iter()
        .map(|(name, value)| {
            if value != MASKED {
                return Ok((name.clone(), value.clone()));
            }
            let kept = current.get(&name.to_ascii_lowercase()).ok_or_else(|| {
                Invalid::new(
                    format!("headers.{name}"),
                    format!("`{MASKED}` keeps the stored value, and there is none under this name"),
                )
            })?;
            Ok((name.clone(), kept.clone()))
        })
        .collect()
}

/// `url` with its password replaced by `with(password)`; `None` when it has no password.
fn with_password(url: &str, with: impl FnOnce(&str) -> String) -> Option<String> {
    let mut parsed = url::Url::parse(url).ok()?;
    let password = with(parsed.password()?);
    parsed.set_password(Some(&password)).ok()?;
    Some(parsed.into())
}

/// `url` as stored: its password (a queue's credentials) sealed.
pub fn seal_url(sealer: &Sealer, url: &str) -> String {
    with_password(url, |password| sealer.seal_text(password)).unwrap_or_else(|| url.to_owned())
}

/// The stored `url` with its password opened: where an attempt connects.
pub fn open_url(sealer: &Sealer, stored: &str) -> Result<String, UnsealError> {
    let mut failed = None;
    let opened = with_password(stored, |password| {
        sealer.open_text(password).unwrap_or_else(|e| {
            failed = Some(e);
            String::new()
        })
    });
    match failed {
        Some(e) => Err(e),
        None => Ok(opened.unwrap_or_else(|| stored.to_owned())),
    }
}

/// Whether a PATCH's `url` is the stored one as reads show it (its password `****`): sent back unchanged,
/// it keeps the stored URL and password.
pub fn is_shown_form(given: &str, stored: &str) -> bool {
    url::Url::parse(given).is_ok_and(|u| u.password().is_some() && u.as_str() == redact(stored))
}

/// The stored `url` and `headers` with every secret still in clear sealed; `None` when none is.
pub fn seal_clear(
    sealer: &Sealer,
    url: &str,
    headers: &str,
) -> Result<Option<(String, String)>, serde_json::Error> {
    let mut changed = false;
    let mut seal = |value: &str| {
        if sealer.is_sealed_text(value) {
            value.to_owned()
        } else {
            changed = true;
            sealer.seal_text(value)
        }
    };
    let url = with_password(url, &mut seal).unwrap_or_else(|| url.to_owned());
    let headers: BTreeMap<String, String> = stored_headers(headers)?
        .into_iter()
        .map(|(name, value)| {
            let value = seal(&value);
            (name, value)
        })
        .collect();
    Ok(changed.then(|| {
        (
            url,
            serde_json::to_string(&headers).expect("a map of strings serialises"),
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::new(&[3u8; 32])
    }

    #[test]
    fn header_values_are_sealed_opened_and_masked() {
        let sealer = sealer();
        let headers = ExtraHeaders::parse(&BTreeMap::from([
            (
                "Authorization".to_owned(),
                "Bearer token-of-the-test".to_owned(),
            ),
            ("x-tenant".to_owned(), "tenant-of-the-test".to_owned()),
        ]))
        .unwrap();
        let stored = seal_headers(&sealer, &headers);
        assert!(
            !stored.contains("token-of-the-test") && !stored.contains("tenant-of-the-test"),
            "{stored}"
        );
        assert!(stored.contains("\"authorization\":\"sealed."), "{stored}");
        assert_eq!(&open_headers(&sealer, &stored).unwrap(), headers.as_map());
        assert_eq!(
            masked_headers(&stored).unwrap(),
            BTreeMap::from([
                ("authorization".to_owned(), MASKED.to_owned()),
                ("x-tenant".to_owned(), MASKED.to_owned()),
            ])
        );
        assert!(open_headers(&Sealer::new(&[4u8; 32]), &stored).is_err());
    }

    #[test]
    fn a_queue_password_is_sealed_in_place() {
        let sealer = sealer();
        let url = "redis://app:s3cr%2Ft@127.0.0.1:6379/stream";
        let stored = seal_url(&sealer, url);
        assert!(!stored.contains("s3cr"), "{stored}");
        assert!(stored.starts_with("redis://app:sealed."), "{stored}");
        assert!(stored.ends_with("@127.0.0.1:6379/stream"), "{stored}");
        assert_eq!(open_url(&sealer, &stored).unwrap(), url);
        assert_eq!(redact(&stored), "redis://app:****@127.0.0.1:6379/stream");
        for plain in [
            "https://example.com/hook",
            "nats://user@h/subject",
            "hookd:cams-queue",
        ] {
            assert_eq!(seal_url(&sealer, plain), plain);
            assert_eq!(open_url(&sealer, plain).unwrap(), plain);
        }
        assert!(open_url(&Sealer::new(&[4u8; 32]), &stored).is_err());
    }

    #[test]
    fn values_sent_back_masked_keep_the_stored_ones() {
        let current = BTreeMap::from([("authorization".to_owned(), "Bearer abc".to_owned())]);
        let given = BTreeMap::from([
            ("Authorization".to_owned(), MASKED.to_owned()),
            ("x-new".to_owned(), "1".to_owned()),
        ]);
        assert_eq!(
            unmask(&given, &current).unwrap(),
            BTreeMap::from([
                ("Authorization".to_owned(), "Bearer abc".to_owned()),
                ("x-new".to_owned(), "1".to_owned()),
            ])
        );
        let unknown = BTreeMap::from([("x-other".to_owned(), MASKED.to_owned())]);
        assert_eq!(
            unmask(&unknown, &current).unwrap_err().field,
            "headers.x-other"
        );
        let stored = seal_url(&sealer(), "amqp://u:p@mq/?exchange=x");
        assert!(is_shown_form("amqp://u:****@mq/?exchange=x", &stored));
        assert!(!is_shown_form("amqp://u:****@other/?exchange=x", &stored));
        assert!(!is_shown_form("https://e.com/", "https://e.com/"));
    }

    #[test]
    fn clear_values_of_earlier_versions_are_sealed_once() {
        let sealer = sealer();
        let (url, headers) = seal_clear(
            &sealer,
            "nats://u:clear-password@127.0.0.1/s",
            r#"{"authorization":"Bearer clear-token"}"#,
        )
        .unwrap()
        .expect("clear values are sealed");
        // Long markers: sealed text is random base64, which holds any short string now and then.
        assert!(!url.contains("clear-password") && !headers.contains("clear-token"));
        assert_eq!(
            open_url(&sealer, &url).unwrap(),
            "nats://u:clear-password@127.0.0.1/s"
        );
        assert_eq!(
            open_headers(&sealer, &headers).unwrap()["authorization"],
            "Bearer clear-token"
        );
        assert_eq!(seal_clear(&sealer, &url, &headers).unwrap(), None);
        assert_eq!(
            seal_clear(&sealer, "https://e.com/", "{}").unwrap(),
            None,
            "nothing to seal"
        );
        // A half-sealed row (an earlier version changed one header): only the clear value is sealed.
        let mixed = format!(
            r#"{{"a":"{}","b":"clear"}}"#,
            sealer.seal_text("sealed already")
        );
        let (_, headers) = seal_clear(&sealer, "https://e.com/", &mixed)
            .unwrap()
            .unwrap();
        let opened = open_headers(&sealer, &headers).unwrap();
        assert_eq!(
            (opened["a"].as_str(), opened["b"].as_str()),
            ("sealed already", "clear")
        );
    }
}
