//! Redis Streams: `XADD <stream> * body <body> <header> <value> …`.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use tokio::sync::Mutex;

use super::{credentials, BrokerError, Message};
use crate::domain::CallbackUrl;

/// A connection attempt, and a command's answer, take at most this long: an attempt's own timeout bounds
/// the publish anyway, and a connection stuck longer than this is better replaced.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

type Connections = HashMap<String, (u64, ::redis::aio::ConnectionManager)>;

/// Connections by broker address and credentials. A publish that fails or is cut off by its timeout drops
/// the connection it used, so the next one connects anew: a `ConnectionManager` whose reconnection
/// attempts ran out during an outage of a few seconds kept failing every later publish.
#[derive(Default)]
pub struct Pool {
    connections: Arc<Mutex<Connections>>,
    /// Numbers the connections, so that a failed publish drops only the one it used.
    made: AtomicU64,
}

/// Drops a pooled connection unless the publish that used it succeeded.
struct Evict {
    connections: Arc<Mutex<Connections>>,
    key: String,
    number: u64,
    succeeded: bool,
}

impl Drop for Evict {
    fn drop(&mut self) {
        if self.succeeded {
            return;
        }
        let (connections, key, number) = (
            self.connections.clone(),
            std::mem::take(&mut self.key),
            self.number,
        );
        // Dropped where the publish ends, possibly cut off by its timeout: the lock is taken apart.
        tokio::spawn(async move {
            let mut connections = connections.lock().await;
            if connections.get(&key).is_some_and(|(n, _)| *n == number) {
                connections.remove(&key);
            }
        });
    }
}

impl Pool {
    pub async fn publish(
        &self,
        addr: SocketAddr,
        url: &CallbackUrl,
        message: &Message<'_>,
    ) -> Result<String, BrokerError> {
        let stream = url.queue_name();
        let (mut conn, mut evict) = self
            .connection(addr, url)
            .await
            .map_err(|e| e.to_string())?;
        let mut cmd = ::redis::cmd("XADD");
        cmd.arg(stream.as_ref())
            .arg("*")
            .arg("body")
            .arg(message.body);
        for (name, value) in &message.headers {
            cmd.arg(*name).arg(*value);
        }
        let entry: String = cmd
            .query_async(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        evict.succeeded = true;
        Ok(format!("XADD {stream} {entry}"))
    }

    async fn connection(
        &self,
        addr: SocketAddr,
        url: &CallbackUrl,
    ) -> ::redis::RedisResult<(::redis::aio::ConnectionManager, Evict)> {
        let (user, password) = credentials(url);
        let key = format!("{addr}|{user:?}|{password:?}");
        let mut pool = self.connections.lock().await;
        let evict = |number| Evict {
            connections: self.connections.clone(),
            key: key.clone(),
            number,
            succeeded: false,
        };
        if let Some((number, conn)) = pool.get(&key) {
            return Ok((conn.clone(), evict(*number)));
        }
        let info = ::redis::ConnectionInfo {
            addr: ::redis::ConnectionAddr::Tcp(addr.ip().to_string(), addr.port()),
            redis: ::redis::RedisConnectionInfo {
                username: user,
                password,
                ..Default::default()
            },
        };
        let client = ::redis::Client::open(info)?;
        let config = ::redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(CONNECT_TIMEOUT)
            .set_number_of_retries(1);
        let conn = ::redis::aio::ConnectionManager::new_with_config(client, config).await?;
        let number = self.made.fetch_add(1, Ordering::Relaxed);
        pool.insert(key.clone(), (number, conn.clone()));
        Ok((conn, evict(number)))
    }
}
