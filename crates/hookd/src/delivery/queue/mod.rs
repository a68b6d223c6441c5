//! Queue destinations: a callback delivered into a broker instead of over HTTP, with the same body and
//! headers. The broker's confirmation is the success signal; anything else is a failed attempt that the
//! subscription's retry profile repeats. One module per broker, each behind its cargo feature:
//! - Redis Streams (`redis://host:port/<stream>`): one `XADD`, the body in the `body` field and each header
//!   as a field of its own name; success is the entry id.
//! - NATS JetStream (`nats://host:port/<subject>`): one publish with the headers as NATS headers and
//!   `Nats-Msg-Id` set to the delivery id, so a retry after a lost acknowledgement is dropped by the
//!   stream's duplicate window; success is the stream's publish acknowledgement.
//! - RabbitMQ (`amqp://host:port/<vhost>?exchange=&routing_key=`): a persistent, mandatory publish on a
//!   channel in confirm mode, headers in the message's header table; success is the broker's ack of a
//!   routed message (an unroutable message is returned and counts as a failure).
//!
//! Connections are pooled per broker address and credentials, pinned to an address the SSRF guard
//! allowed, and replaced when they break.

// A build without some broker still compiles the shared parts it does not use.
#![cfg_attr(
    not(all(feature = "redis", feature = "nats", feature = "rabbitmq")),
    allow(unused_variables, dead_code)
)]

#[cfg(feature = "nats")]
mod nats;
#[cfg(feature = "rabbitmq")]
mod rabbitmq;
#[cfg(feature = "redis")]
mod redis;

use std::{net::SocketAddr, time::Duration};

use super::{
    outcome::{FailureKind, Reply},
    ssrf::Guard,
};
use crate::domain::{CallbackUrl, Destination};

/// One message as every broker receives it.
pub struct Message<'a> {
    /// Unique per delivery (the same across its attempts).
    pub id: &'a str,
    pub body: &'a [u8],
    pub headers: Vec<(&'a str, &'a str)>,
}

impl Message<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

#[derive(Default)]
pub struct Queues {
    #[cfg(feature = "redis")]
    redis: redis::Pool,
    #[cfg(feature = "nats")]
    nats: nats::Pool,
    #[cfg(feature = "rabbitmq")]
    rabbitmq: rabbitmq::Pool,
}

impl Queues {
    /// Publishes `message` to the queue `url` names, within `timeout`. `guard` is `None` for the
    /// operator's own destinations, which the SSRF guard does not apply to.
    pub async fn publish(
        &self,
        guard: Option<&Guard>,
        url: &CallbackUrl,
        message: &Message<'_>,
        timeout: Duration,
    ) -> Reply {
        let addr = match resolve(guard, url).await {
            Ok(addr) => addr,
            Err(e) => return Reply::failed(e.kind, e.message),
        };
        let broker = match url.destination() {
            Destination::Http => {
                return Reply::failed(FailureKind::Destination, "not a queue destination")
            }
            Destination::Redis => "redis",
            Destination::Nats => "nats",
            Destination::Amqp => "rabbitmq",
        };
        let publish = async {
            match url.destination() {
                #[cfg(feature = "redis")]
                Destination::Redis => self.redis.publish(addr, url, message).await,
                #[cfg(feature = "nats")]
                Destination::Nats => self.nats.publish(addr, url, message, timeout).await,
                #[cfg(feature = "rabbitmq")]
                Destination::Amqp => self.rabbitmq.publish(addr, url, message).await,
                #[allow(unreachable_patterns)]
                _ => Err(BrokerError(format!(
                    "this build of hookd has no `{broker}` feature; rebuild with it to deliver here"
                ))),
            }
        };
        match tokio::time::timeout(timeout, publish).await {
            Ok(Ok(confirmation)) => Reply::accepted(confirmation),
            Ok(Err(BrokerError(e))) => Reply::failed(FailureKind::Queue, format!("{broker}: {e}")),
            Err(_) => Reply::failed(
                FailureKind::Timeout,
                format!(
                    "{broker}: no confirmation within {} ms",
                    timeout.as_millis()
                ),
            ),
        }
    }
}

/// A broker's refusal or a failure reaching it, in a line.
#[derive(Debug)]
pub struct BrokerError(pub String);

impl From<String> for BrokerError {
    fn from(message: String) -> Self {
        Self(message)
    }
}

impl std::fmt::Display for BrokerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a broker's address was not used.
struct Unreachable {
    kind: FailureKind,
    message: String,
}

/// The broker's address, resolved and (unless trusted) checked by the SSRF guard; connections are
/// pinned to it.
async fn resolve(guard: Option<&Guard>, url: &CallbackUrl) -> Result<SocketAddr, Unreachable> {
    let unreachable = |kind, message: String| Unreachable { kind, message };
    let host = url.as_url().host_str().ok_or_else(|| {
        unreachable(
            FailureKind::Destination,
            "the destination has no host".into(),
        )
    })?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs = tokio::net::lookup_host((host, url.port()))
        .await
        .map_err(|e| {
            unreachable(
                FailureKind::Dns,
                format!("{host} could not be resolved: {e}"),
            )
        })?;
    let mut refusal = None;
    for addr in addrs {
        match guard.map_or(Ok(()), |g| g.check_ip(host, addr.ip())) {
            Ok(()) => return Ok(addr),
            Err(e) => refusal = Some(e),
        }
    }
    Err(match refusal {
        Some(e) => unreachable(FailureKind::Blocked, format!("blocked: {e}")),
        None => unreachable(FailureKind::Dns, format!("{host} has no addresses")),
    })
}

/// The user name and password of a queue URL, percent-decoded.
fn credentials(url: &CallbackUrl) -> (Option<String>, Option<String>) {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let url = url.as_url();
    let user = (!url.username().is_empty()).then(|| decode(url.username()));
    (user, url.password().map(decode))
}
