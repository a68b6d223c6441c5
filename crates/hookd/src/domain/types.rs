//! Small validated value types and closed vocabularies of the model.

use std::collections::BTreeMap;

use super::Invalid;

/// A closed set of lower-case names, serialised as the names themselves.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        // Serialised as the kebab-case of the variant, which is its name (a test checks they agree).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                match raw { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The accepted names, for error messages.
            pub fn names() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// What an app is for. `native` is the default; `live-domain` and `live-rtc` back the ApsaraVideo Live
    /// dialect; `cams`, `ess`, `meeting` and `ops` are reserved apps every account has.
    AppKind { Native = "native", LiveDomain = "live-domain", LiveRtc = "live-rtc", Cams = "cams", Ess = "ess", Meeting = "meeting", Ops = "ops" }
}

impl AppKind {
    /// The reserved per-account apps, created with the account; their id equals their kind.
    pub const RESERVED: [AppKind; 4] =
        [AppKind::Cams, AppKind::Ess, AppKind::Meeting, AppKind::Ops];

    pub fn is_reserved(self) -> bool {
        Self::RESERVED.contains(&self)
    }
}

string_enum! {
    /// What a publish does with the app's catalog: nothing (`off`), flag a payload that does not fit its
    /// type's schema and accept it (`warn`), or refuse it (`enforce`, which also refuses unknown and
    /// archived types).
    SchemaValidation { Off = "off", Warn = "warn", Enforce = "enforce" }
}

string_enum! {
    /// Dialect products an account may use.
    Product { Cams = "cams", Ess = "ess", Live = "live", Meeting = "meeting" }
}

string_enum! {
    /// How a subscription's callbacks are shaped and signed (SPEC §5).
    Format { Native = "native", Cams = "cams", Ess = "ess", LiveSnapshot = "live-snapshot", LiveRtc = "live-rtc", Meeting = "meeting" }
}

string_enum! {
    /// `none`: callbacks go out in parallel, in any order. `fifo`: the next one is not sent until the one
    /// before it succeeded or went dead.
    Ordering { None = "none", Fifo = "fifo" }
}

string_enum! {
    SubscriptionStatus { Enabled = "enabled", Disabled = "disabled", Locked = "locked" }
}

string_enum! {
    /// The life of one event's delivery to one subscription.
    DeliveryStatus { Pending = "pending", Delivering = "delivering", Succeeded = "succeeded", Retrying = "retrying", Dead = "dead", Cancelled = "cancelled" }
}

/// The set of products enabled for an account, stored as a JSON list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Products(Vec<Product>);

impl Products {
    pub fn all() -> Self {
        Self(Product::ALL.to_vec())
    }

    pub fn new(mut list: Vec<Product>) -> Self {
        list.sort_by_key(|p| p.as_str());
        list.dedup();
        Self(list)
    }

    pub fn contains(&self, p: Product) -> bool {
        self.0.contains(&p)
    }

    pub fn as_slice(&self) -> &[Product] {
        &self.0
    }
}

/// A caller-chosen app id, unique within its account: 1–64 of `A-Z a-z 0-9 . _ -`, starting with a letter
/// or digit (domain names and vendor app ids both fit).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppId(String);

impl AppId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if raw.is_empty() || raw.len() > 64 {
            return Err(Invalid::new("id", "must be 1 to 64 characters"));
        }
        if !raw.starts_with(|c: char| c.is_ascii_alphanumeric()) || !raw.chars().all(ok_char) {
            return Err(Invalid::new(
                "id",
                "may contain only letters, digits, `.`, `_` and `-`, and must start with a letter or digit",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An event type such as `order.created` or `ChannelEvent`: 1–128 of `A-Z a-z 0-9 . _ : -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventType(String);

impl EventType {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-');
        if raw.is_empty() || raw.len() > 128 || !raw.chars().all(ok_char) {
            return Err(Invalid::new(
                "type",
                "must be 1 to 128 letters, digits, `.`, `_`, `:` or `-`",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A type, or a wildcard `prefix.*` (what a subscription may list): `prefix` is itself a type.
    pub fn pattern(raw: &str) -> Result<Self, Invalid> {
        match raw.strip_suffix(".*") {
            Some(prefix) => Self::parse(prefix)
                .map_err(|_| Invalid::new("type", "a wildcard is a type followed by `.*`"))
                .map(|_| Self(raw.to_owned())),
            None => Self::parse(raw),
        }
    }

    pub fn is_wildcard(&self) -> bool {
        self.0.ends_with(".*")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Headers a subscription adds to every callback. Names are stored lower-case; names hookd sets itself
/// (signature, framing, connection management) cannot be overridden.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtraHeaders(BTreeMap<String, String>);

impl ExtraHeaders {
    const MAX: usize = 20;
    const RESERVED: [&'static str; 10] = [
        "content-type",
        "content-length",
        "host",
        "connection",
        "transfer-encoding",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "user-agent",
    ];

    pub fn parse(raw: &BTreeMap<String, String>) -> Result<Self, Invalid> {
        if raw.len() > Self::MAX {
            return Err(Invalid::new(
                "headers",
                format!("at most {} headers", Self::MAX),
            ));
        }
        let mut out = BTreeMap::new();
        for (name, value) in raw {
            let field = format!("headers.{name}");
            let lower = name.to_ascii_lowercase();
            if reqwest::header::HeaderName::from_bytes(lower.as_bytes()).is_err() {
                return Err(Invalid::new(field, "is not a valid header name"));
            }
            if Self::RESERVED.contains(&lower.as_str())
                || lower.starts_with("webhook-")
                || lower.starts_with("proxy-")
            {
                return Err(Invalid::new(
                    field,
                    "is set by hookd and cannot be overridden",
                ));
            }
            if value.len() > 1024 || reqwest::header::HeaderValue::from_str(value).is_err() {
                return Err(Invalid::new(
                    field,
                    "value must be at most 1024 visible ASCII characters",
                ));
            }
            out.insert(lower, value.clone());
        }
        Ok(Self(out))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }

    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_and_openapi_names_are_the_names() {
        fn check<T: serde::Serialize + Copy>(all: &[T], name: fn(T) -> &'static str) {
            for v in all {
                assert_eq!(serde_json::to_value(v).unwrap(), name(*v));
            }
        }
        check(AppKind::ALL, AppKind::as_str);
        check(Product::ALL, Product::as_str);
        check(Format::ALL, Format::as_str);
        check(SubscriptionStatus::ALL, SubscriptionStatus::as_str);
        check(DeliveryStatus::ALL, DeliveryStatus::as_str);
    }

    #[test]
    fn enums_round_trip_their_names() {
        for kind in AppKind::ALL {
            assert_eq!(AppKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(AppKind::parse("Native"), None);
        assert!(AppKind::Ops.is_reserved() && !AppKind::LiveRtc.is_reserved());
        assert_eq!(
            DeliveryStatus::names(),
            "pending, delivering, succeeded, retrying, dead, cancelled"
        );
    }

    #[test]
    fn app_ids_and_event_types_are_checked() {
        assert!(AppId::parse("live.example.com").is_ok());
        assert!(AppId::parse("-x").is_err());
        assert!(AppId::parse("a b").is_err());
        assert!(AppId::parse(&"a".repeat(65)).is_err());
        assert!(EventType::parse("order.created").is_ok());
        assert!(EventType::parse("ChannelEvent").is_ok());
        assert!(EventType::parse("").is_err());
        assert!(EventType::parse("a/b").is_err());
    }

    #[test]
    fn extra_headers_refuse_reserved_names() {
        let mut m = BTreeMap::new();
        m.insert("X-Tenant".to_owned(), "42".to_owned());
        assert_eq!(ExtraHeaders::parse(&m).unwrap().as_map()["x-tenant"], "42");
        m.insert("Webhook-Signature".to_owned(), "forged".to_owned());
        let err = ExtraHeaders::parse(&m).unwrap_err();
        assert_eq!(err.field, "headers.Webhook-Signature");
        let mut bad = BTreeMap::new();
        bad.insert("x-ok".to_owned(), "line\nbreak".to_owned());
        assert!(ExtraHeaders::parse(&bad).is_err());
    }
}
