//! The HTTP sender: one pooled client for all callbacks, with redirects, environment proxies and built-in
//! retries off, connect and total timeouts, and every connection checked by the SSRF guard. Returns what
//! happened in a form the attempt log can store.

use std::{sync::Arc, time::Duration};

use anyhow::Context;

use super::{
    formats::{self, Rendered},
    outcome::{request_failure, FailureKind, Reply},
    queue::{Message, Queues},
    ssrf::{Guard, GuardedResolver},
};
use crate::{
    config::DeliveryConfig,
    domain::{CallbackUrl, ExtraHeaders, Target},
};

pub struct Sender {
    client: reqwest::Client,
    guard: Guard,
    excerpt_bytes: usize,
    timeout: Duration,
    queues: Queues,
    /// The operator's queue for CAMS receipts (`HOOKD_CAMS_QUEUE`).
    cams_queue: Option<CallbackUrl>,
}

impl Sender {
    pub fn new(
        config: &DeliveryConfig,
        guard: Guard,
        cams_queue: Option<CallbackUrl>,
    ) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder();
        if let Some(path) = &config.ca_certs {
            let pem = std::fs::read(path)
                .with_context(|| format!("reading CA certificates {}", path.display()))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .with_context(|| format!("parsing CA certificates {}", path.display()))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            .timeout(config.timeout())
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .user_agent(concat!("hookd/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver {
                guard: guard.clone(),
            }))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            client,
            guard,
            excerpt_bytes: config.response_excerpt_bytes,
            timeout: config.timeout(),
            queues: Default::default(),
            cams_queue,
        })
    }

    /// The server's whole-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether the operator configured a queue for CAMS receipts.
    pub fn has_cams_queue(&self) -> bool {
        self.cams_queue.is_some()
    }

    /// Sends one attempt of delivery `message_id` to a stored URL (see [`Target::parse`]); an unreadable
    /// one is a `Destination` failure.
    pub async fn send_url(
        &self,
        url: &str,
        message_id: &str,
        rendered: &Rendered,
        extra: &ExtraHeaders,
        timeout: Option<Duration>,
    ) -> Reply {
        match Target::parse(url) {
            Ok(target) => {
                self.send(&target, message_id, rendered, extra, timeout)
                    .await
            }
            Err(e) => Reply::failed(FailureKind::Destination, e.message),
        }
    }

    /// Sends one attempt of delivery `message_id`; `timeout` overrides the configured whole-request
    /// timeout.
    pub async fn send(
        &self,
        target: &Target,
        message_id: &str,
        rendered: &Rendered,
        extra: &ExtraHeaders,
        timeout: Option<Duration>,
    ) -> Reply {
        let timeout_or_default = timeout.unwrap_or(self.timeout);
        let parsed = match target {
            Target::OperatorQueue => {
                let Some(queue) = &self.cams_queue else {
                    return Reply::failed(
                        FailureKind::NoOperatorQueue,
                        "QueueFlag=Y, but this server has no CAMS queue configured (HOOKD_CAMS_QUEUE)",
                    );
                };
                // The operator's own broker: not subject to the SSRF guard.
                return self
                    .publish(None, queue, message_id, rendered, extra, timeout_or_default)
                    .await;
            }
            Target::Queue(queue) => {
                let guard = Some(&self.guard);
                return self
                    .publish(
                        guard,
                        queue,
                        message_id,
                        rendered,
                        extra,
                        timeout_or_default,
                    )
                    .await;
            }
            Target::Http(url) => url.clone(),
        };
        // IP literals never reach the resolver, so they are checked here.
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal {
            if let Err(blocked) = self.guard.check_ip(&ip.to_string(), ip) {
                return Reply::blocked(&blocked);
            }
        }
        let mut request = self.client.post(parsed);
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        for (name, value) in &rendered.headers {
            request = request.header(*name, value);
        }
        for (name, value) in formats::extra_headers(extra) {
            request = request.header(name, value);
        }
        let mut response = match request.body(rendered.body.clone()).send().await {
            Ok(r) => r,
            Err(e) => return Reply::failed(request_failure(&e), describe(&e)),
        };
        let status = response.status().as_u16();
        let retry_after = matches!(status, 429 | 503)
            .then(|| response.headers().get(reqwest::header::RETRY_AFTER))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
        let mut excerpt = Vec::new();
        let mut failure = None;
        while excerpt.len() < self.excerpt_bytes {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = self.excerpt_bytes - excerpt.len();
                    excerpt.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) => break,
                Err(e) => {
                    failure = Some((
                        FailureKind::ResponseBody,
                        format!("reading response body: {}", describe(&e)),
                    ));
                    break;
                }
            }
        }
        if (300..400).contains(&status) {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            failure = Some((
                FailureKind::Redirect,
                format!("redirect to `{location}` not followed"),
            ));
        }
        let (failure, error) = failure.unzip();
        Reply {
            status: Some(status),
            failure,
            error,
            excerpt: (!excerpt.is_empty()).then(|| String::from_utf8_lossy(&excerpt).into_owned()),
            accepted: false,
            retry_after,
        }
    }
}

impl Sender {
    async fn publish(
        &self,
        guard: Option<&Guard>,
        queue: &CallbackUrl,
        message_id: &str,
        rendered: &Rendered,
        extra: &ExtraHeaders,
        timeout: Duration,
    ) -> Reply {
        let mut headers: Vec<(&str, &str)> = rendered
            .headers
            .iter()
            .map(|(n, v)| (*n, v.as_str()))
            .collect();
        headers.extend(formats::extra_headers(extra));
        let message = Message {
            id: message_id,
            body: &rendered.body,
            headers,
        };
        self.queues.publish(guard, queue, &message, timeout).await
    }
}

/// `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3); a date in the past means now.
fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = std::time::SystemTime::UNIX_EPOCH
        + Duration::from_secs(u64::try_from(at.timestamp()).ok()?);
    Some(at.duration_since(now).unwrap_or_default())
}

/// A one-line account of a client error, innermost cause included (e.g. the SSRF refusal).
fn describe(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    causes.dedup();
    match causes.last() {
        Some(root) => format!("{kind}: {root}"),
        None => format!("{kind}: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::url::CAMS_QUEUE;

    fn rendered() -> Rendered {
        Rendered {
            body: b"{}".to_vec(),
            headers: vec![("content-type", "application/json".to_owned())],
        }
    }

    /// The connect-time guard: a URL saved while allowed (or a name whose DNS changed) is still refused
    /// when it leads to a non-public address at send time.
    #[tokio::test]
    async fn refuses_non_public_targets_at_connect_time() {
        let sender = Sender::new(&DeliveryConfig::default(), Guard::default(), None).unwrap();
        for url in [
            "http://127.0.0.1:9/",
            "http://[::1]:9/",
            "http://[::ffff:169.254.169.254]/",
            "http://localhost:9/",
        ] {
            let reply = sender
                .send_url(url, "d", &rendered(), &ExtraHeaders::default(), None)
                .await;
            assert_eq!(reply.status, None, "{url}");
            // `localhost` is refused by the resolver, inside the HTTP client: found among the causes.
            assert_eq!(reply.failure, Some(FailureKind::Blocked), "{url}");
            let error = reply.error.unwrap_or_default();
            assert!(error.contains("non-public address"), "{url}: {error}");
        }
    }

    #[tokio::test]
    async fn queue_destinations_pass_the_guard_unless_they_are_the_operators() {
        let sender = Sender::new(&DeliveryConfig::default(), Guard::default(), None).unwrap();
        let extra = ExtraHeaders::default();
        for url in [
            "redis://127.0.0.1:9/s",
            "nats://127.0.0.1:9/a.b",
            "amqp://127.0.0.1:9/?routing_key=q",
        ] {
            let reply = sender.send_url(url, "d", &rendered(), &extra, None).await;
            assert_eq!(reply.failure, Some(FailureKind::Blocked), "{url}");
            let error = reply.error.unwrap_or_default();
            assert!(error.contains("non-public address"), "{url}: {error}");
        }
        let reply = sender
            .send_url(CAMS_QUEUE, "d", &rendered(), &extra, None)
            .await;
        assert_eq!(reply.failure, Some(FailureKind::NoOperatorQueue));
        assert!(reply.error.unwrap().contains("HOOKD_CAMS_QUEUE"));

        // The operator's queue is reached on loopback without an allowance (nothing listens: refused).
        let queue = CallbackUrl::parse("nats://127.0.0.1:9/hookd.cams").unwrap();
        let sender =
            Sender::new(&DeliveryConfig::default(), Guard::default(), Some(queue)).unwrap();
        let reply = sender
            .send_url(CAMS_QUEUE, "d", &rendered(), &extra, None)
            .await;
        assert_eq!(reply.failure, Some(FailureKind::Queue));
        let error = reply.error.unwrap();
        assert!(
            error.starts_with("nats: connecting to 127.0.0.1:9"),
            "{error}"
        );
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        // 1 700 000 030 s after the epoch.
        assert_eq!(
            parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[tokio::test]
    async fn records_redirects_as_failures_without_following() {
        use axum::{http::header::LOCATION, http::StatusCode, response::IntoResponse, Router};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().fallback(|| async {
            (
                StatusCode::FOUND,
                [(LOCATION, "http://169.254.169.254/")],
                "moved",
            )
                .into_response()
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        let guard = Guard::new(vec!["127.0.0.0/8".parse().unwrap()]);
        let sender = Sender::new(&DeliveryConfig::default(), guard, None).unwrap();
        let reply = sender
            .send_url(
                &format!("http://{addr}/"),
                "d",
                &rendered(),
                &ExtraHeaders::default(),
                None,
            )
            .await;
        assert_eq!(reply.status, Some(302));
        assert!(!reply.is_success());
        assert_eq!(reply.excerpt.as_deref(), Some("moved"));
        assert_eq!(reply.failure, Some(FailureKind::Redirect));
        assert!(reply.error.unwrap().contains("not followed"));
    }
}
