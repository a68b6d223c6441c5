//! Callback formats: how one attempt's body and headers are built and signed (SPEC §5), one module per
//! format. Every format also carries the Standard Webhooks headers, signed over the body actually sent, so
//! any subscription can be verified with its `whsec_` secret whatever its vendor form.

pub mod cams;
pub mod ess;
pub mod live;
pub mod meeting;
pub mod native;

use std::collections::BTreeMap;

use crate::domain::{ExtraHeaders, Format, SecretSet};

/// What goes on the wire for one attempt.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

impl Rendered {
    pub fn json(body: String) -> Self {
        Self {
            body: body.into_bytes(),
            headers: vec![("content-type", "application/json".to_owned())],
        }
    }
}

/// The event as formats see it.
pub struct EventView<'a> {
    pub id: &'a str,
    pub event_type: &'a str,
    /// The payload's JSON text.
    pub payload: &'a str,
    pub channel_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub created_at_ms: i64,
}

/// Why a callback could not be built: unreadable secrets or settings, or a payload the format cannot
/// carry. Recorded as the attempt's error (kind `render`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError(pub String);

impl From<String> for RenderError {
    fn from(message: String) -> Self {
        Self(message)
    }
}

impl From<crate::domain::Corrupt> for RenderError {
    fn from(corrupt: crate::domain::Corrupt) -> Self {
        Self(corrupt.to_string())
    }
}

impl From<&str> for RenderError {
    fn from(message: &str) -> Self {
        Self(message.to_owned())
    }
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The subscription as formats see it.
pub struct TargetView<'a> {
    pub subscription_id: &'a str,
    pub app_id: &'a str,
    pub url: &'a str,
    /// Vendor secrets and settings (`CallbackKey`, `NotifyAuthKey`, `subscriberKey` …).
    pub vendor: &'a BTreeMap<String, String>,
}

/// Builds the request for `event` in `format`, signed with the secrets active at `now_ms`.
pub fn render(
    format: Format,
    event: &EventView<'_>,
    target: &TargetView<'_>,
    secrets: &SecretSet,
    now_ms: i64,
) -> Result<Rendered, RenderError> {
    let mut rendered = match format {
        Format::Native => Rendered::json(event.payload.to_owned()),
        Format::Cams => cams::render(event)?,
        Format::Ess => ess::render(event, target.vendor)?,
        Format::LiveSnapshot => live::render_snapshot(event, target, now_ms)?,
        Format::LiveRtc => live::render_rtc(event, target)?,
        Format::Meeting => {
            let app_id = target
                .vendor
                .get("subscriberId")
                .map(String::as_str)
                .unwrap_or_default();
            let key = match target.vendor.get("subscriberKey") {
                Some(k) => k.as_bytes(),
                None => secrets.current.key(),
            };
            let payload: serde_json::Value =
                serde_json::from_str(event.payload).map_err(|e| e.to_string())?;
            meeting::render(app_id, key, event.event_type, &payload, now_ms).0
        }
    };
    let signed = native::signature_headers(event.id, &rendered.body, secrets, now_ms);
    rendered.headers.extend(signed);
    Ok(rendered)
}

/// Builds one request for several events of a batching subscription (array formats only), signed with
/// the first event's id.
pub fn render_batch(
    format: Format,
    events: &[EventView<'_>],
    secrets: &SecretSet,
    now_ms: i64,
) -> Result<Rendered, RenderError> {
    let first = events.first().ok_or("an empty batch")?;
    let mut rendered = match format {
        Format::Cams => cams::render_batch(events)?,
        other => {
            return Err(format!("the `{}` format cannot carry a batch", other.as_str()).into())
        }
    };
    let signed = native::signature_headers(first.id, &rendered.body, secrets, now_ms);
    rendered.headers.extend(signed);
    Ok(rendered)
}

/// Extra headers configured on the subscription, in the order they are sent.
pub fn extra_headers(headers: &ExtraHeaders) -> impl Iterator<Item = (&str, &str)> {
    headers.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}
