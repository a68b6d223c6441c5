//! `CallbackUrl`: where a callback goes — an absolute http(s) URL, or a queue destination
//! (`redis://host:port/<stream key>`). Whether its host is allowed (the SSRF
//! guard) depends on DNS and configuration, so that check lives in `delivery::ssrf`.

use super::Invalid;

/// Longest URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackUrl(url::Url);

impl CallbackUrl {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bad = |why: &str| Invalid::new("url", format!("`{raw}` {why}"));
        if raw.len() > MAX_URL_LEN {
            return Err(Invalid::new(
                "url",
                format!("must be at most {MAX_URL_LEN} characters"),
            ));
        }
        let url = url::Url::parse(raw).map_err(|e| bad(&format!("is not a valid URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https" | "redis") {
            return Err(bad(
                "must use http or https (or redis://host:port/<stream> for a Redis stream)",
            ));
        }
        if url.scheme() == "redis" && url.path().trim_start_matches('/').is_empty() {
            return Err(bad(
                "must name the stream key as its path (redis://host:port/<stream>)",
            ));
        }
        if url.host().is_none() {
            return Err(bad("has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "must not contain credentials; send them with `headers` instead",
            ));
        }
        if url.fragment().is_some() {
            return Err(bad("must not contain a fragment"));
        }
        Ok(Self(url))
    }

    pub fn as_url(&self) -> &url::Url {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn host(&self) -> url::Host<&str> {
        // `parse` refuses URLs without a host. Non-http schemes keep IP literals as opaque text.
        match self.0.host() {
            Some(url::Host::Domain(d)) => match d.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(v4)) => url::Host::Ipv4(v4),
                Ok(std::net::IpAddr::V6(v6)) => url::Host::Ipv6(v6),
                Err(_) => url::Host::Domain(d),
            },
            Some(other) => other,
            None => url::Host::Domain(""),
        }
    }

    pub fn port(&self) -> u16 {
        self.0
            .port_or_known_default()
            .unwrap_or(if self.0.scheme() == "redis" { 6379 } else { 80 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_http_urls_and_names_problems() {
        assert!(CallbackUrl::parse("https://example.com/hook?x=1").is_ok());
        for (raw, needle) in [
            ("ftp://example.com/", "http or https"),
            ("not a url", "not a valid URL"),
            ("https://user:pw@example.com/", "credentials"),
            ("https://example.com/#frag", "fragment"),
        ] {
            let err = CallbackUrl::parse(raw).unwrap_err();
            assert_eq!(err.field, "url");
            assert!(err.message.contains(needle), "{raw}: {}", err.message);
        }
        assert!(CallbackUrl::parse(&format!("https://e.com/{}", "a".repeat(MAX_URL_LEN))).is_err());
    }

    #[test]
    fn numeric_hosts_are_normalised_to_ip_addresses() {
        let url = CallbackUrl::parse("http://2130706433:8080/").unwrap();
        assert_eq!(
            url.host(),
            url::Host::<&str>::Ipv4(std::net::Ipv4Addr::LOCALHOST)
        );
        assert_eq!(url.port(), 8080);
    }
}
