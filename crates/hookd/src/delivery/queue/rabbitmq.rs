//! RabbitMQ (AMQP 0-9-1): a persistent, mandatory publish on a channel in confirm mode.

use std::{collections::HashMap, net::SocketAddr};

use lapin::{
    options::{BasicPublishOptions, ConfirmSelectOptions},
    types::{AMQPValue, FieldTable, LongString, ShortString},
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties,
};
use tokio::sync::Mutex;

use super::{credentials, BrokerError, Message};
use crate::domain::CallbackUrl;

/// An open connection and its confirm-mode channel.
#[derive(Clone)]
struct Link {
    // Kept so the connection lives as long as its channel.
    connection: std::sync::Arc<Connection>,
    channel: Channel,
}

impl Link {
    fn is_open(&self) -> bool {
        self.connection.status().connected() && self.channel.status().connected()
    }
}

/// Links by broker address, vhost and credentials; a broken link is replaced on the next publish.
#[derive(Default)]
pub struct Pool(Mutex<HashMap<String, Link>>);

impl Pool {
    pub async fn publish(
        &self,
        addr: SocketAddr,
        url: &CallbackUrl,
        message: &Message<'_>,
    ) -> Result<String, BrokerError> {
        let target = url.amqp_target()?;
        let (key, link) = self.link(addr, url, &target.vhost).await?;
        let mut headers = FieldTable::default();
        for (name, value) in &message.headers {
            headers.insert(
                ShortString::from(*name),
                AMQPValue::LongString(LongString::from(value.as_bytes().to_vec())),
            );
        }
        let mut properties = BasicProperties::default()
            .with_message_id(ShortString::from(message.id))
            .with_delivery_mode(2)
            .with_timestamp(crate::domain::now_ms().max(0) as u64 / 1000)
            .with_headers(headers);
        if let Some(content_type) = message.header("content-type") {
            properties = properties.with_content_type(ShortString::from(content_type));
        }
        let published = async {
            link.channel
                .basic_publish(
                    ShortString::from(target.exchange.as_str()),
                    ShortString::from(target.routing_key.as_str()),
                    BasicPublishOptions {
                        mandatory: true,
                        ..BasicPublishOptions::default()
                    },
                    message.body,
                    properties,
                )
                .await?
                .await
        };
        let confirmation = match published.await {
            Ok(confirmation) => confirmation,
            Err(e) => {
                self.0.lock().await.remove(&key);
                return Err(e.to_string().into());
            }
        };
        let route = format!(
            "exchange `{}` routing key `{}`",
            target.exchange, target.routing_key
        );
        match confirmation {
            Confirmation::Ack(None) => Ok(format!("confirmed by the broker ({route})")),
            Confirmation::Ack(Some(returned)) | Confirmation::Nack(Some(returned)) => Err(format!(
                "returned unroutable by the broker ({route}): {} {}",
                returned.reply_code, returned.reply_text
            )
            .into()),
            Confirmation::Nack(None) => Err(format!("refused by the broker ({route})").into()),
            Confirmation::NotRequested => {
                Err("the channel is not in confirm mode".to_owned().into())
            }
        }
    }

    async fn link(
        &self,
        addr: SocketAddr,
        url: &CallbackUrl,
        vhost: &str,
    ) -> Result<(String, Link), BrokerError> {
        let (user, password) = credentials(url);
        let key = format!("{addr}|{vhost}|{user:?}|{password:?}");
        let mut pool = self.0.lock().await;
        if let Some(link) = pool.get(&key).filter(|l| l.is_open()) {
            return Ok((key, link.clone()));
        }
        pool.remove(&key);
        let mut uri = url::Url::parse("amqp://localhost/").map_err(|e| e.to_string())?;
        let pinned = uri
            .set_ip_host(addr.ip())
            .and_then(|()| uri.set_port(Some(addr.port())))
            .and_then(|()| uri.set_username(user.as_deref().unwrap_or("guest")))
            .and_then(|()| uri.set_password(Some(password.as_deref().unwrap_or("guest"))));
        if pinned.is_err() {
            return Err(format!("cannot address the broker at {addr}").into());
        }
        uri.set_path(
            &percent_encoding::utf8_percent_encode(vhost, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        );
        let properties = ConnectionProperties::default()
            .with_connection_name(concat!("hookd/", env!("CARGO_PKG_VERSION")).into());
        let connection = Connection::connect(uri.as_str(), properties)
            .await
            .map_err(|e| format!("connecting to {addr} vhost `{vhost}`: {e}"))?;
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| e.to_string())?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        let link = Link {
            connection: std::sync::Arc::new(connection),
            channel,
        };
        pool.insert(key.clone(), link.clone());
        Ok((key, link))
    }
}
