//! Queue destinations: a callback delivered into a broker instead of over HTTP, with the same body and
//! headers. Built so far: Redis Streams (`redis://host:port/<stream>`): one `XADD` per attempt, the body
//! in the `body` field and each header as a field of its own name; the broker's reply (the entry id) is
//! the success signal. Connections are pooled per broker address and reconnect by themselves.

use std::{collections::HashMap, net::SocketAddr, time::Duration};

use tokio::sync::Mutex;

use super::{formats::Rendered, sender::Reply, ssrf::Guard};
use crate::domain::ExtraHeaders;

#[derive(Default)]
pub struct Queues {
    redis: Mutex<HashMap<SocketAddr, redis::aio::ConnectionManager>>,
}

impl Queues {
    /// Adds one entry to the Redis stream named by `url`'s path.
    pub async fn redis(
        &self,
        guard: &Guard,
        url: &url::Url,
        rendered: &Rendered,
        extra: &ExtraHeaders,
        timeout: Duration,
    ) -> Reply {
        let stream = url.path().trim_start_matches('/');
        let addr = match resolve(guard, url, 6379).await {
            Ok(addr) => addr,
            Err(e) => return Reply::failed(e),
        };
        let publish = async {
            let mut conn = self.redis_connection(addr).await?;
            let mut cmd = redis::cmd("XADD");
            cmd.arg(stream).arg("*").arg("body").arg(&rendered.body);
            for (name, value) in &rendered.headers {
                cmd.arg(*name).arg(value);
            }
            for (name, value) in super::formats::extra_headers(extra) {
                cmd.arg(name).arg(value);
            }
            cmd.query_async::<String>(&mut conn).await
        };
        match tokio::time::timeout(timeout, publish).await {
            Ok(Ok(entry)) => Reply::accepted(format!("XADD {stream} {entry}")),
            Ok(Err(e)) => Reply::failed(format!("redis: {e}")),
            Err(_) => Reply::failed(format!("redis: no reply within {} ms", timeout.as_millis())),
        }
    }

    async fn redis_connection(
        &self,
        addr: SocketAddr,
    ) -> redis::RedisResult<redis::aio::ConnectionManager> {
        let mut pool = self.redis.lock().await;
        if let Some(conn) = pool.get(&addr) {
            return Ok(conn.clone());
        }
        let client = redis::Client::open(format!("redis://{addr}/"))?;
        let conn = redis::aio::ConnectionManager::new(client).await?;
        pool.insert(addr, conn.clone());
        Ok(conn)
    }
}

/// The broker's address, resolved once and checked by the SSRF guard (the connection is pinned to it).
async fn resolve(guard: &Guard, url: &url::Url, default_port: u16) -> Result<SocketAddr, String> {
    let host = url.host_str().ok_or("the destination has no host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port().unwrap_or(default_port);
    let addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("{host} could not be resolved: {e}"))?;
    let mut refusal = None;
    for addr in addrs {
        match guard.check_ip(host, addr.ip()) {
            Ok(()) => return Ok(addr),
            Err(e) => refusal = Some(e),
        }
    }
    Err(match refusal {
        Some(e) => format!("blocked: {e}"),
        None => format!("{host} has no addresses"),
    })
}
