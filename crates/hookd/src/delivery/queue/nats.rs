//! NATS JetStream: a publish to the subject, acknowledged by the stream that captures it.

use std::{collections::HashMap, net::SocketAddr, time::Duration};

use tokio::sync::Mutex;

use super::{credentials, BrokerError, Message};
use crate::domain::CallbackUrl;

/// JetStream contexts by broker address and credentials; the client reconnects by itself.
#[derive(Default)]
pub struct Pool(Mutex<HashMap<String, async_nats::jetstream::Context>>);

impl Pool {
    pub async fn publish(
        &self,
        addr: SocketAddr,
        url: &CallbackUrl,
        message: &Message<'_>,
        timeout: Duration,
    ) -> Result<String, BrokerError> {
        let subject = url.queue_name().into_owned();
        let jetstream = self.context(addr, url, timeout).await?;
        let mut headers = async_nats::HeaderMap::new();
        for (name, value) in &message.headers {
            headers.append(*name, *value);
        }
        headers.insert(async_nats::header::NATS_MESSAGE_ID, message.id);
        let ack = jetstream
            .publish_with_headers(subject.clone(), headers, message.body.to_vec().into())
            .await
            .map_err(|e| e.to_string())?
            .await
            .map_err(|e| match e.kind() {
                async_nats::jetstream::context::PublishErrorKind::StreamNotFound => {
                    format!("no JetStream stream captures the subject `{subject}`")
                }
                _ => e.to_string(),
            })?;
        Ok(format!(
            "stream {} seq {}{}",
            ack.stream,
            ack.sequence,
            if ack.duplicate { " (duplicate)" } else { "" }
        ))
    }

    async fn context(
        &self,
        addr: SocketAddr,
        url: &CallbackUrl,
        timeout: Duration,
    ) -> Result<async_nats::jetstream::Context, BrokerError> {
        let (user, password) = credentials(url);
        let key = format!("{addr}|{user:?}|{password:?}");
        let mut pool = self.0.lock().await;
        if let Some(context) = pool.get(&key) {
            return Ok(context.clone());
        }
        let mut options = async_nats::ConnectOptions::new()
            .name(concat!("hookd/", env!("CARGO_PKG_VERSION")))
            .connection_timeout(timeout)
            // Stay on the address the SSRF guard allowed, not the peers the server advertises.
            .ignore_discovered_servers();
        match (user, password) {
            (Some(user), Some(password)) => options = options.user_and_password(user, password),
            (Some(token), None) => options = options.token(token),
            _ => {}
        }
        let client = options
            .connect(format!("nats://{addr}"))
            .await
            .map_err(|e| format!("connecting to {addr}: {e}"))?;
        let mut context = async_nats::jetstream::new(client);
        context.set_timeout(timeout);
        pool.insert(key, context.clone());
        Ok(context)
    }
}
