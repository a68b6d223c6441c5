//! Callback formats: how one attempt's body and headers are built and signed (SPEC §5). One module per
//! format; `render` dispatches on the subscription's format.

pub mod meeting;
pub mod native;

use crate::domain::{ExtraHeaders, Format, SecretSet};

/// What goes on the wire for one attempt.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

/// The event as formats see it.
pub struct EventView<'a> {
    pub id: &'a str,
    pub event_type: &'a str,
    pub payload: &'a str,
}

/// Builds the request for `event` in `format`, signed with the secrets active at `now_ms`.
pub fn render(format: Format, event: &EventView<'_>, secrets: &SecretSet, now_ms: i64) -> Rendered {
    match format {
        Format::Native => native::render(event, secrets, now_ms),
    }
}

/// Extra headers configured on the subscription, in the order they are sent.
pub fn extra_headers(headers: &ExtraHeaders) -> impl Iterator<Item = (&str, &str)> {
    headers.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}
