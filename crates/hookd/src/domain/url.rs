//! `CallbackUrl`: where a callback goes — an absolute http(s) URL, or a queue destination:
//! `redis://host:port/<stream key>`, `nats://host:port/<subject>` (a JetStream subject) or
//! `amqp://host:port/<vhost>?exchange=<name>&routing_key=<key>` (RabbitMQ). Queue URLs may carry the
//! broker's credentials (`user:password@`); responses show them redacted. Whether the host is allowed (the
//! SSRF guard) depends on DNS and configuration, so that check lives in `delivery::ssrf`.

use std::borrow::Cow;

use super::Invalid;

/// The URL of subscriptions that deliver into the operator's CAMS queue (`HOOKD_CAMS_QUEUE`), resolved at
/// send time so that a change of the operator's setting applies to every such subscription. Only dialects
/// create these; `CallbackUrl::parse` refuses the scheme.
pub const CAMS_QUEUE: &str = "hookd:cams-queue";

/// Longest URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// What a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    Http,
    Redis,
    Nats,
    Amqp,
}

impl Destination {
    fn of(scheme: &str) -> Option<Self> {
        Some(match scheme {
            "http" | "https" => Self::Http,
            "redis" => Self::Redis,
            "nats" => Self::Nats,
            "amqp" => Self::Amqp,
            _ => return None,
        })
    }

    pub fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Redis => 6379,
            Self::Nats => 4222,
            Self::Amqp => 5672,
        }
    }

    /// The cargo feature a build needs to deliver here.
    fn feature(self) -> Option<&'static str> {
        match self {
            Self::Http => None,
            Self::Redis => (!cfg!(feature = "redis")).then_some("redis"),
            Self::Nats => (!cfg!(feature = "nats")).then_some("nats"),
            Self::Amqp => (!cfg!(feature = "rabbitmq")).then_some("rabbitmq"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackUrl(url::Url);

/// Where a delivery goes, parsed once when its subscription is opened for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An http(s) URL.
    Http(url::Url),
    /// A queue destination: Redis, NATS or RabbitMQ.
    Queue(CallbackUrl),
    /// The operator's CAMS queue ([`CAMS_QUEUE`]), resolved when sending.
    OperatorQueue,
}

impl Target {
    /// A stored target (opened, with a queue URL's password). An http(s) URL is taken as stored (the SSRF
    /// guard checks its host when sending); a queue URL is checked as `CallbackUrl::parse` checks it.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw == CAMS_QUEUE {
            return Ok(Self::OperatorQueue);
        }
        let url =
            url::Url::parse(raw).map_err(|e| Invalid::new("url", format!("invalid URL: {e}")))?;
        if matches!(url.scheme(), "http" | "https") {
            return Ok(Self::Http(url));
        }
        CallbackUrl::parse(raw).map(Self::Queue)
    }

    /// The host delivered to, if the target names one.
    pub fn host(&self) -> Option<&str> {
        match self {
            Self::Http(url) => url.host_str(),
            Self::Queue(queue) => queue.0.host_str(),
            Self::OperatorQueue => None,
        }
    }
}

/// A RabbitMQ destination's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmqpTarget {
    pub vhost: String,
    pub exchange: String,
    pub routing_key: String,
}

impl CallbackUrl {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bad = |why: &str| Invalid::new("url", format!("`{}` {why}", redact(raw)));
        if raw.len() > MAX_URL_LEN {
            return Err(Invalid::new(
                "url",
                format!("must be at most {MAX_URL_LEN} characters"),
            ));
        }
        let url = url::Url::parse(raw).map_err(|e| bad(&format!("is not a valid URL ({e})")))?;
        let Some(destination) = Destination::of(url.scheme()) else {
            return Err(bad(
                "must use http or https, or name a queue: redis://host:port/<stream>, \
                 nats://host:port/<subject> or amqp://host:port/<vhost>?exchange=<name>&routing_key=<key>",
            ));
        };
        if let Some(feature) = destination.feature() {
            return Err(bad(&format!(
                "needs the `{feature}` feature, which this build of hookd was compiled without"
            )));
        }
        if url.host().is_none() || url.host_str() == Some("") {
            return Err(bad("has no host"));
        }
        if url.fragment().is_some() {
            return Err(bad("must not contain a fragment"));
        }
        let has_credentials = !url.username().is_empty() || url.password().is_some();
        let path = url.path().trim_start_matches('/');
        match destination {
            Destination::Http if has_credentials => {
                return Err(bad(
                    "must not contain credentials; send them with `headers` instead",
                ))
            }
            Destination::Http => {}
            Destination::Redis if path.is_empty() => {
                return Err(bad(
                    "must name the stream key as its path (redis://host:port/<stream>)",
                ))
            }
            Destination::Nats => check_subject(path).map_err(|why| bad(&why))?,
            _ => {}
        }
        if destination != Destination::Http
            && destination != Destination::Amqp
            && url.query().is_some()
        {
            return Err(bad("must not have a query"));
        }
        let parsed = Self(url);
        if destination == Destination::Amqp {
            parsed.amqp_target().map_err(|why| bad(&why))?;
        }
        Ok(parsed)
    }

    pub fn destination(&self) -> Destination {
        Destination::of(self.0.scheme()).unwrap_or(Destination::Http)
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
            Some(url::Host::Domain(d)) => {
                let bare = d.trim_start_matches('[').trim_end_matches(']');
                match bare.parse::<std::net::IpAddr>() {
                    Ok(std::net::IpAddr::V4(v4)) => url::Host::Ipv4(v4),
                    Ok(std::net::IpAddr::V6(v6)) => url::Host::Ipv6(v6),
                    Err(_) => url::Host::Domain(d),
                }
            }
            Some(other) => other,
            None => url::Host::Domain(""),
        }
    }

    pub fn port(&self) -> u16 {
        self.0
            .port_or_known_default()
            .unwrap_or(self.destination().default_port())
    }

    /// The stream key (Redis) or subject (NATS): the path without its leading slash.
    pub fn queue_name(&self) -> Cow<'_, str> {
        percent_encoding::percent_decode_str(self.0.path().trim_start_matches('/'))
            .decode_utf8_lossy()
    }

    /// The vhost, exchange and routing key of an `amqp://` URL.
    pub fn amqp_target(&self) -> Result<AmqpTarget, String> {
        let vhost = match self.queue_name() {
            name if name.is_empty() => "/".to_owned(),
            name => name.into_owned(),
        };
        let (mut exchange, mut routing_key) = (None, None);
        for (name, value) in self.0.query_pairs() {
            let slot = match name.as_ref() {
                "exchange" => &mut exchange,
                "routing_key" => &mut routing_key,
                other => {
                    return Err(format!(
                        "has an unknown query parameter `{other}` (only exchange and routing_key)"
                    ))
                }
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(format!("names `{name}` twice"));
            }
        }
        let (exchange, routing_key) = (
            exchange.unwrap_or_default(),
            routing_key.unwrap_or_default(),
        );
        if exchange.is_empty() && routing_key.is_empty() {
            return Err(
                "must name an exchange, a routing key or both (?exchange=<name>&routing_key=<key>)"
                    .to_owned(),
            );
        }
        for (what, value) in [("exchange", &exchange), ("routing_key", &routing_key)] {
            if value.len() > 255 {
                return Err(format!("has a {what} longer than 255 bytes"));
            }
        }
        Ok(AmqpTarget {
            vhost,
            exchange,
            routing_key,
        })
    }
}

/// A NATS subject hookd may publish to: dot-separated tokens, no wildcards or whitespace.
fn check_subject(subject: &str) -> Result<(), String> {
    if subject.is_empty() {
        return Err("must name the subject as its path (nats://host:port/<subject>)".to_owned());
    }
    let decoded = percent_encoding::percent_decode_str(subject).decode_utf8_lossy();
    let bad_token = decoded
        .split('.')
        .any(|t| t.is_empty() || t == "*" || t == ">" || t.chars().any(char::is_whitespace));
    if bad_token {
        return Err(format!(
            "has `{decoded}` as its subject; a subject is dot-separated tokens without wildcards or spaces"
        ));
    }
    Ok(())
}

/// `raw` with any password replaced by `****`, for responses and messages.
pub fn redact(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("****"));
            url.to_string()
        }
        _ => raw.to_owned(),
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

    #[test]
    fn queue_destinations_name_their_stream_subject_or_exchange() {
        let nats = CallbackUrl::parse("nats://127.0.0.1/hookd.cams").unwrap();
        assert_eq!((nats.destination(), nats.port()), (Destination::Nats, 4222));
        assert_eq!(nats.queue_name(), "hookd.cams");
        let amqp =
            CallbackUrl::parse("amqp://guest:guest@127.0.0.1/?exchange=hooks&routing_key=a.b")
                .unwrap();
        assert_eq!(amqp.port(), 5672);
        assert_eq!(
            amqp.amqp_target().unwrap(),
            AmqpTarget {
                vhost: "/".into(),
                exchange: "hooks".into(),
                routing_key: "a.b".into()
            }
        );
        let vhost = CallbackUrl::parse("amqp://h/prod?routing_key=q").unwrap();
        assert_eq!(vhost.amqp_target().unwrap().vhost, "prod");
        for (raw, needle) in [
            ("nats://h/", "must name the subject"),
            ("nats://h/a.*", "without wildcards"),
            ("nats://h/a..b", "without wildcards"),
            ("nats://h/a?x=1", "query"),
            ("redis://h", "stream key"),
            ("amqp://h/", "must name an exchange"),
            (
                "amqp://h/?exchange=a&colour=red",
                "unknown query parameter `colour`",
            ),
            ("amqp://h/?exchange=a&exchange=b", "twice"),
        ] {
            let err = CallbackUrl::parse(raw).unwrap_err();
            assert!(err.message.contains(needle), "{raw}: {}", err.message);
        }
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("amqp://app:s3cret@mq:5672/?exchange=x"),
            "amqp://app:****@mq:5672/?exchange=x"
        );
        assert_eq!(redact("https://e.com/a"), "https://e.com/a");
        let err = CallbackUrl::parse("amqp://app:s3cret@mq/").unwrap_err();
        assert!(!err.message.contains("s3cret"), "{}", err.message);
    }
}
