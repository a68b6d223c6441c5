//! The `cams` format: a JSON array of status reports (`MessageId`, `From`, `To`, `Timestamp`, `Status` …).
//! An event whose payload is one report object is sent as a one-element array; a payload that is already
//! an array of reports is sent as it is.

use super::{EventView, RenderError, Rendered};

/// Several events in one request: every event's reports, in order, in one array.
pub fn render_batch(events: &[EventView<'_>]) -> Result<Rendered, RenderError> {
    let mut reports = Vec::new();
    for event in events {
        match serde_json::from_str::<serde_json::Value>(event.payload).map_err(|e| e.to_string())? {
            serde_json::Value::Array(many) => reports.extend(many),
            one => reports.push(one),
        }
    }
    Ok(Rendered::json(
        serde_json::to_string(&reports).map_err(|e| e.to_string())?,
    ))
}

pub fn render(event: &EventView<'_>) -> Result<Rendered, RenderError> {
    let payload: serde_json::Value =
        serde_json::from_str(event.payload).map_err(|e| e.to_string())?;
    let body = if payload.is_array() {
        event.payload.to_owned()
    } else {
        format!("[{}]", event.payload)
    };
    Ok(Rendered::json(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(payload: &str) -> EventView<'_> {
        EventView {
            id: "evt_1",
            event_type: "cams.status",
            payload,
            channel_id: None,
            user_id: None,
            created_at_ms: 0,
        }
    }

    #[test]
    fn reports_are_sent_as_an_array() {
        let one = r#"{"MessageId":"m1","Status":"DELIVERED"}"#;
        assert_eq!(
            render(&view(one)).unwrap().body,
            format!("[{one}]").into_bytes()
        );
        let many = r#"[{"MessageId":"m1"},{"MessageId":"m2"}]"#;
        assert_eq!(render(&view(many)).unwrap().body, many.as_bytes());
    }

    #[test]
    fn a_batch_joins_every_event_s_reports() {
        let events = [
            view(r#"{"MessageId":"m1"}"#),
            view(r#"[{"MessageId":"m2"},{"MessageId":"m3"}]"#),
        ];
        assert_eq!(
            render_batch(&events).unwrap().body,
            br#"[{"MessageId":"m1"},{"MessageId":"m2"},{"MessageId":"m3"}]"#
        );
    }
}
