//! The customer portal: what one portal session may reach (one app, optionally some event types, a
//! capability set), its bearer token, and an account's embedding settings (the origins that may frame the
//! portal and its theme).

use super::{catalog::type_matches, Action, EventType, Invalid, Policy};

/// What a portal session lets the end customer do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// See endpoints (with their signing secrets), events, deliveries and the catalog.
    ReadOnly,
    /// Also add, change, disable, delete and test endpoints, and retry and replay deliveries.
    Manage,
}

impl Capability {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "read-only" => Ok(Self::ReadOnly),
            "manage" => Ok(Self::Manage),
            _ => Err(Invalid::new(
                "capability",
                "must be `read-only` or `manage`",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadOnly => "read-only",
            Self::Manage => "manage",
        }
    }

    /// The native actions the session holds. `manage` holds `hookd:events.write` for a subscription's test
    /// event and a catalog example only: a portal session may neither publish nor erase (the service
    /// refuses both to it whatever its policy says).
    pub fn actions(self) -> &'static [Action] {
        const READ: &[Action] = &[
            Action::AppsRead,
            Action::SubscriptionsRead,
            Action::EventsRead,
            Action::DeliveriesRead,
        ];
        const MANAGE: &[Action] = &[
            Action::AppsRead,
            Action::SubscriptionsRead,
            Action::EventsRead,
            Action::DeliveriesRead,
            Action::SubscriptionsWrite,
            Action::DeliveriesWrite,
            Action::EventsWrite,
        ];
        match self {
            Self::ReadOnly => READ,
            Self::Manage => MANAGE,
        }
    }

    pub fn policy(self) -> Policy {
        let names: Vec<&str> = self.actions().iter().map(|a| a.as_str()).collect();
        Policy::parse(&names).expect("native action names are valid patterns")
    }
}

/// The event types a session is limited to: exact types and `prefix.*` wildcards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeScope(Vec<EventType>);

const MAX_SCOPE_TYPES: usize = 100;

impl TypeScope {
    pub fn parse(raw: &[String]) -> Result<Self, Invalid> {
        if raw.is_empty() || raw.len() > MAX_SCOPE_TYPES {
            return Err(Invalid::new(
                "event_types",
                format!(
                    "must list 1 to {MAX_SCOPE_TYPES} event types (leave it out for every type)"
                ),
            ));
        }
        let mut types = raw
            .iter()
            .enumerate()
            .map(|(i, t)| EventType::pattern(t).map_err(|e| e.at(format!("event_types[{i}]"))))
            .collect::<Result<Vec<_>, _>>()?;
        types.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        types.dedup();
        Ok(Self(types))
    }

    pub fn entries(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(EventType::as_str)
    }

    /// Whether an event of type `name` is inside the scope.
    pub fn sees(&self, name: &str) -> bool {
        self.0.iter().any(|s| type_matches(s.as_str(), name))
    }

    /// Whether every event a subscription to `pattern` receives is inside the scope: `pattern` is an
    /// entry, a type under a wildcard entry, or a narrower wildcard under one.
    pub fn covers(&self, pattern: &str) -> bool {
        self.0.iter().any(|s| {
            let s = s.as_str();
            s == pattern
                || s.strip_suffix('*').is_some_and(|prefix| {
                    pattern.len() > prefix.len() && pattern.starts_with(prefix)
                })
        })
    }

    /// Whether a subscription's type list (empty: every type) stays inside the scope.
    pub fn covers_all<S: AsRef<str>>(&self, patterns: &[S]) -> bool {
        !patterns.is_empty() && patterns.iter().all(|p| self.covers(p.as_ref()))
    }
}

/// A portal bearer token: `hkp_` + the session's ULID + `_` + a 40-character secret. The session id
/// (`ps_` + the same ULID) is not secret; it names the session in URLs and lists.
pub struct PortalToken {
    pub session_id: String,
    pub secret: String,
}

pub const TOKEN_PREFIX: &str = "hkp_";

impl PortalToken {
    pub fn generate() -> Self {
        let session_id = super::new_id("ps");
        Self {
            session_id,
            secret: super::new_key_secret(),
        }
    }

    /// The token's parts, if `raw` has the form of a portal token.
    pub fn parse(raw: &str) -> Option<Self> {
        let (ulid, secret) = raw.strip_prefix(TOKEN_PREFIX)?.split_once('_')?;
        let well_formed = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
        (well_formed(ulid) && well_formed(secret)).then(|| Self {
            session_id: format!("ps_{ulid}"),
            secret: secret.to_owned(),
        })
    }

    pub fn expose(&self) -> String {
        let ulid = self.session_id.trim_start_matches("ps_");
        format!("{TOKEN_PREFIX}{ulid}_{}", self.secret)
    }
}

/// The most origins an account may allow to embed the portal.
const MAX_ORIGINS: usize = 20;

/// An origin allowed to embed the portal (`frame-ancestors`): `https://host[:port]`, or `http://` for
/// development; the host may start with `*.` to allow its subdomains. Nothing else (no path, no
/// `'self'`-style keywords, no bare `*`), so the value is safe to put in a header as it is.
pub fn parse_origin(raw: &str, field: &str) -> Result<String, Invalid> {
    let bad = |why: &str| Invalid::new(field, format!("`{raw}` {why}"));
    let (scheme, rest) = raw
        .split_once("://")
        .ok_or_else(|| bad("must be an origin such as https://app.example.com"))?;
    if scheme != "https" && scheme != "http" {
        return Err(bad("must use https (or http for development)"));
    }
    let host_port = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host_port, None),
    };
    if let Some(port) = port {
        if port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(bad("has an invalid port"));
        }
    }
    let name = host.strip_prefix("*.").unwrap_or(host);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if name.is_empty() || name.len() > 253 || !name.split('.').all(label_ok) {
        return Err(bad(
            "must be scheme://host[:port] with no path (the host may start with `*.`)",
        ));
    }
    Ok(format!("{scheme}://{}", host_port.to_ascii_lowercase()))
}

pub fn parse_origins(raw: &[String]) -> Result<Vec<String>, Invalid> {
    if raw.len() > MAX_ORIGINS {
        return Err(Invalid::new(
            "allowed_origins",
            format!("at most {MAX_ORIGINS} origins"),
        ));
    }
    let mut origins = raw
        .iter()
        .enumerate()
        .map(|(i, o)| parse_origin(o, &format!("allowed_origins[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    origins.sort();
    origins.dedup();
    Ok(origins)
}

/// A theme colour: `#rrggbb`.
pub fn parse_color(raw: &str) -> Result<String, Invalid> {
    let hex = raw.strip_prefix('#').unwrap_or("");
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Invalid::new(
            "primary_color",
            "must be a colour written #rrggbb",
        ));
    }
    Ok(raw.to_ascii_lowercase())
}

/// A logo's address: an `https://` (or `http://`) URL of at most 2 000 characters, whose origin the
/// portal page's `img-src` then allows.
pub fn parse_logo_url(raw: &str) -> Result<(String, String), Invalid> {
    let bad = || {
        Invalid::new(
            "logo_url",
            "must be an http(s) URL of at most 2000 characters",
        )
    };
    if raw.len() > 2000 {
        return Err(bad());
    }
    let url = url::Url::parse(raw).map_err(|_| bad())?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(bad());
    }
    let origin = url.origin().ascii_serialization();
    Ok((url.to_string(), origin))
}

/// A product name for the portal's header: 1–80 characters, no control characters.
pub fn parse_product_name(raw: &str) -> Result<String, Invalid> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(Invalid::new(
            "product_name",
            "must be 1 to 80 characters without control characters",
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn a_type_scope_sees_and_covers() {
        let scope = TypeScope::parse(&s(&["order.*", "user.created"])).unwrap();
        assert!(scope.sees("order.created") && scope.sees("order.line.added"));
        assert!(scope.sees("user.created") && !scope.sees("user.deleted"));
        assert!(scope.covers("order.created") && scope.covers("order.line.*"));
        assert!(scope.covers("order.*") && scope.covers("user.created"));
        assert!(!scope.covers("user.*") && !scope.covers("orders.created"));
        assert!(scope.covers_all(&["order.paid", "user.created"]));
        assert!(
            !scope.covers_all::<&str>(&[]),
            "every type is more than the scope"
        );
        assert!(TypeScope::parse(&[]).is_err());
        assert_eq!(
            TypeScope::parse(&s(&["ok", "no spaces"]))
                .unwrap_err()
                .field,
            "event_types[1]"
        );
    }

    #[test]
    fn tokens_round_trip_and_refuse_other_forms() {
        let token = PortalToken::generate();
        let parsed = PortalToken::parse(&token.expose()).unwrap();
        assert_eq!(parsed.session_id, token.session_id);
        assert_eq!(parsed.secret, token.secret);
        assert!(token.session_id.starts_with("ps_"));
        for bad in [
            "hkp_",
            "hkp_abc",
            "hkp__x",
            "hkp_a_",
            "key:secret",
            "hkp_a b_c",
        ] {
            assert!(PortalToken::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn origins_are_plain_scheme_host_port() {
        assert_eq!(
            parse_origin("https://App.Example.com/", "o").unwrap(),
            "https://app.example.com"
        );
        assert_eq!(
            parse_origin("http://localhost:8080", "o").unwrap(),
            "http://localhost:8080"
        );
        assert!(parse_origin("https://*.example.com", "o").is_ok());
        for bad in [
            "*",
            "'self'",
            "https://a.com/path",
            "ftp://a.com",
            "https://a.com:0",
            "https://a.com:99999",
            "https://a b.com",
            "https://a.com; script-src *",
            "app.example.com",
        ] {
            assert!(parse_origin(bad, "o").is_err(), "{bad}");
        }
        let err = parse_origins(&s(&["https://ok.com", "nope"])).unwrap_err();
        assert_eq!(err.field, "allowed_origins[1]");
    }

    #[test]
    fn theme_values_are_checked() {
        assert_eq!(parse_color("#1F6FEB").unwrap(), "#1f6feb");
        for bad in ["1f6feb", "#1f6fe", "#1f6febz", "red"] {
            assert!(parse_color(bad).is_err(), "{bad}");
        }
        let (url, origin) = parse_logo_url("https://cdn.example.com/a/logo.png").unwrap();
        assert_eq!(url, "https://cdn.example.com/a/logo.png");
        assert_eq!(origin, "https://cdn.example.com");
        assert!(parse_logo_url("javascript:alert(1)").is_err());
        assert!(parse_logo_url("data:image/png;base64,AA").is_err());
        assert!(parse_product_name("  Acme  ").unwrap() == "Acme");
        assert!(parse_product_name("").is_err() && parse_product_name("a\nb").is_err());
    }
}
