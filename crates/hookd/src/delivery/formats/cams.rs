//! The `cams` format: a JSON array of status reports (`MessageId`, `From`, `To`, `Timestamp`, `Status` …).
//! An event whose payload is one report object is sent as a one-element array; a payload that is already
//! an array of reports is sent as it is.

use super::{EventView, Rendered};

pub fn render(event: &EventView<'_>) -> Result<Rendered, String> {
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
}
