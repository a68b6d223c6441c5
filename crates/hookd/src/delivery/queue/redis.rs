//! Redis Streams: `XADD <stream> * body <body> <header> <value> …`.

use std::{collections::HashMap, net::SocketAddr};

use tokio::sync::Mutex;

use super::{credentials, Message};
use crate::domain::CallbackUrl;

/// Connections by broker address and credentials; a `ConnectionManager` reconnects by itself.
#[derive(Default)]
pub struct Pool(Mutex<HashMap<String, ::redis::aio::ConnectionManager>>);

impl Pool {
    pub async fn publish(
        &self,
        addr: SocketAddr,
        url: &CallbackUrl,
        message: &Message<'_>,
    ) -> Result<String, String> {
        let stream = url.queue_name();
        let mut conn = self
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
        Ok(format!("XADD {stream} {entry}"))
    }

    async fn connection(
        &self,
        addr: SocketAddr,
        url: &CallbackUrl,
    ) -> ::redis::RedisResult<::redis::aio::ConnectionManager> {
        let (user, password) = credentials(url);
        let key = format!("{addr}|{user:?}|{password:?}");
        let mut pool = self.0.lock().await;
        if let Some(conn) = pool.get(&key) {
            return Ok(conn.clone());
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
        let conn = ::redis::aio::ConnectionManager::new(client).await?;
        pool.insert(key, conn.clone());
        Ok(conn)
    }
}
