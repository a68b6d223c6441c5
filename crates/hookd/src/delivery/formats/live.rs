//! ApsaraVideo Live formats.
//!
//! `live-snapshot`: the snapshot event JSON as the body; with `NotifyReqAuth=yes`, `ALI-LIVE-TIMESTAMP`
//! (Unix seconds) and `ALI-LIVE-SIGNATURE` = md5hex(`<callback URL host>|<timestamp>|<NotifyAuthKey>`).
//!
//! `live-rtc`: `{MsgId, MsgTimestamp, SubscribeID, AppId, ChannelID, Contents: [{Event, <Event>: payload}]}`,
//! where `<Event>` is the event type (`UserEvent` or `ChannelEvent`).

use md5::{Digest, Md5};
use serde_json::{json, value::RawValue};

use super::{EventView, RenderError, Rendered, TargetView};
use crate::crypto::hex;

pub fn render_snapshot(
    event: &EventView<'_>,
    target: &TargetView<'_>,
    now_ms: i64,
) -> Result<Rendered, RenderError> {
    let mut rendered = Rendered::json(event.payload.to_owned());
    if target.vendor.get("NotifyReqAuth").map(String::as_str) == Some("yes") {
        let key = target
            .vendor
            .get("NotifyAuthKey")
            .ok_or("NotifyReqAuth is yes but no NotifyAuthKey is stored")?;
        let host = url::Url::parse(target.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .ok_or("the callback URL has no host")?;
        let timestamp = now_ms.div_euclid(1000);
        rendered
            .headers
            .push(("ali-live-timestamp", timestamp.to_string()));
        rendered.headers.push((
            "ali-live-signature",
            snapshot_signature(&host, timestamp, key),
        ));
    }
    Ok(rendered)
}

/// md5hex("host|timestamp|key").
pub fn snapshot_signature(host: &str, timestamp: i64, key: &str) -> String {
    hex(&Md5::digest(format!("{host}|{timestamp}|{key}").as_bytes()))
}

pub fn render_rtc(event: &EventView<'_>, target: &TargetView<'_>) -> Result<Rendered, RenderError> {
    let payload = RawValue::from_string(event.payload.to_owned()).map_err(|e| e.to_string())?;
    let mut content = serde_json::Map::new();
    content.insert("Event".to_owned(), json!(event.event_type));
    content.insert(
        event.event_type.to_owned(),
        serde_json::to_value(&payload).map_err(|e| e.to_string())?,
    );
    let body = json!({
        "MsgId": event.id,
        "MsgTimestamp": event.created_at_ms,
        "SubscribeID": target.subscription_id,
        "AppId": target.app_id,
        "ChannelID": event.channel_id.unwrap_or_default(),
        "Contents": [content],
    });
    Ok(Rendered::json(body.to_string()))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn snapshot_signature_known_answer() {
        // md5 of "example.com|1700000000|abcdefghijklmnop", computed with Python's hashlib.
        assert_eq!(
            snapshot_signature("example.com", 1_700_000_000, "abcdefghijklmnop"),
            "ec794a70eccee076f1c70cbe63939396"
        );
    }

    #[test]
    fn rtc_messages_carry_the_subscription_and_channel() {
        let event = EventView {
            id: "evt_1",
            event_type: "UserEvent",
            payload: r#"{"UserId":"u1"}"#,
            channel_id: Some("ch1"),
            user_id: Some("u1"),
            created_at_ms: 42,
        };
        let vendor = BTreeMap::new();
        let target = TargetView {
            subscription_id: "sub_1",
            app_id: "rtc01",
            url: "https://e.com/",
            vendor: &vendor,
        };
        let body: serde_json::Value =
            serde_json::from_slice(&render_rtc(&event, &target).unwrap().body).unwrap();
        assert_eq!(
            body,
            json!({"MsgId":"evt_1","MsgTimestamp":42,"SubscribeID":"sub_1","AppId":"rtc01","ChannelID":"ch1",
                   "Contents":[{"Event":"UserEvent","UserEvent":{"UserId":"u1"}}]})
        );
    }
}
