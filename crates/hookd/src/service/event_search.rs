//! Finding an app's events (by type, type prefix, channel, time and payload fields) and erasing a payload
//! on request.

use chrono::{DateTime, Utc};

use super::{paged, Error, PageParams, Paged, Result, Scope, Service};
use crate::{
    domain::{attribute, now_ms, Action, EventType, Invalid},
    store::EventSearch,
    views::{Event, ListedEvent},
};

/// An event search as the caller asks for it; every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub event_type: Option<String>,
    pub type_prefix: Option<String>,
    pub channel_id: Option<String>,
    /// Created at or after.
    pub after: Option<DateTime<Utc>>,
    /// Created before.
    pub before: Option<DateTime<Utc>>,
    /// (dotted path into the payload, value): the field's value, as text, equals the value.
    pub payload: Vec<(String, String)>,
}

/// Payload conditions in one search.
const MAX_PAYLOAD_CONDITIONS: usize = 5;
/// Segments of a payload path.
const MAX_PATH_SEGMENTS: usize = 8;

/// A payload path: up to 8 dot-separated segments of 1–64 letters, digits, `_` or `-` (digits alone index
/// an array).
fn payload_path(path: &str) -> Result<Vec<String>, Invalid> {
    let field = format!("payload.{path}");
    let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
    let ok = |s: &String| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if segments.len() > MAX_PATH_SEGMENTS || !segments.iter().all(ok) {
        return Err(Invalid::new(
            field,
            format!(
                "a payload path is 1 to {MAX_PATH_SEGMENTS} dot-separated names of letters, digits, `_` or `-`"
            ),
        ));
    }
    Ok(segments)
}

impl EventQuery {
    fn check(self) -> Result<EventSearch, Invalid> {
        let event_type = self
            .event_type
            .map(|t| EventType::parse(&t).map(|t| t.as_str().to_owned()))
            .transpose()?;
        let type_prefix = self
            .type_prefix
            .map(|p| {
                EventType::parse(&p)
                    .map(|p| p.as_str().to_owned())
                    .map_err(|e| e.at("type_prefix"))
            })
            .transpose()?;
        let channel_id = self
            .channel_id
            .map(|c| attribute(&c).map_err(|e| e.at("channel_id")))
            .transpose()?;
        if let (Some(after), Some(before)) = (self.after, self.before) {
            if after >= before {
                return Err(Invalid::new("before", "must be later than `after`"));
            }
        }
        if self.payload.len() > MAX_PAYLOAD_CONDITIONS {
            return Err(Invalid::new(
                "payload",
                format!("at most {MAX_PAYLOAD_CONDITIONS} payload conditions"),
            ));
        }
        let payload = self
            .payload
            .into_iter()
            .map(|(path, value)| {
                if value.len() > 256 {
                    return Err(Invalid::new(
                        format!("payload.{path}"),
                        "the value is at most 256 characters",
                    ));
                }
                Ok((payload_path(&path)?, value))
            })
            .collect::<Result<_, _>>()?;
        Ok(EventSearch {
            event_type,
            type_prefix,
            channel_id,
            after: self.after.map(|t| t.timestamp_millis()),
            before: self.before.map(|t| t.timestamp_millis()),
            payload,
        })
    }
}

impl Service {
    pub async fn get_event(&self, scope: &Scope, app_id: &str, id: &str) -> Result<Event> {
        scope.require(Action::EventsRead)?;
        self.app_row(scope, app_id).await?;
        let row = self
            .store
            .get_event(&scope.account_id, app_id, id)
            .await?
            .filter(|row| scope.sees_type(&row.event_type))
            .ok_or(Error::NotFound("event"))?;
        Ok(row.try_into()?)
    }

    /// The app's events that meet the query, newest first.
    pub async fn search_events(
        &self,
        scope: &Scope,
        app_id: &str,
        query: EventQuery,
        params: &PageParams,
    ) -> Result<Paged<ListedEvent>> {
        scope.require(Action::EventsRead)?;
        let search = query.check()?;
        self.app_row(scope, app_id).await?;
        let page = params.to_page()?;
        let rows = self
            .store
            .search_events(&scope.account_id, app_id, &search, &page)
            .await?;
        let mut found = paged(&page, rows, |r| &r.id, Event::try_from)?;
        found.data.retain(|e| scope.sees_type(&e.event_type));
        // The deliveries' states are the deliveries' to read; a portal session limited to some types may
        // not see every delivery of an event (those through subscriptions it does not see), so not the sum.
        let sees_all = scope.portal().is_none_or(|p| p.types.is_none());
        let mut counts = if scope.allows(Action::DeliveriesRead) && sees_all {
            let ids: Vec<&str> = found.data.iter().map(|e| e.id.as_str()).collect();
            Some(self.delivery_counts(&scope.account_id, &ids).await?)
        } else {
            None
        };
        Ok(Paged {
            data: found
                .data
                .into_iter()
                .map(|event| ListedEvent {
                    deliveries: counts.as_mut().and_then(|c| c.remove(&event.id)),
                    event,
                })
                .collect(),
            next_cursor: found.next_cursor,
        })
    }

    /// Erases an event's payload, its attempts' response excerpts and its schema violations; the event and
    /// its deliveries stay as metadata, marked erased, and nothing sends the payload again (a delivery
    /// still due fails as `payload_dropped`). Erasing twice is not an error.
    pub async fn erase_event_payload(
        &self,
        scope: &Scope,
        app_id: &str,
        id: &str,
    ) -> Result<Event> {
        scope.require(Action::EventsWrite)?;
        scope.forbid_portal("erase events")?;
        self.app_row(scope, app_id).await?;
        let row = self
            .store
            .erase_event(&scope.account_id, app_id, id, now_ms())
            .await?
            .ok_or(Error::NotFound("event"))?;
        metrics::counter!("hookd_payloads_erased_total").increment(1);
        Ok(row.try_into()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_paths_are_plain_names() {
        assert_eq!(payload_path("customer.id").unwrap(), ["customer", "id"]);
        assert_eq!(payload_path("items.0.sku").unwrap(), ["items", "0", "sku"]);
        for bad in ["", "a..b", "a.", "a b", "a.$x", "a'b", "1.2.3.4.5.6.7.8.9"] {
            let err = payload_path(bad).unwrap_err();
            assert_eq!(err.field, format!("payload.{bad}"));
        }
    }

    #[test]
    fn a_search_is_checked_before_it_runs() {
        let err = EventQuery {
            type_prefix: Some("order%".into()),
            ..EventQuery::default()
        }
        .check()
        .unwrap_err();
        assert_eq!(err.field, "type_prefix");
        let now = Utc::now();
        let err = EventQuery {
            after: Some(now),
            before: Some(now),
            ..EventQuery::default()
        }
        .check()
        .unwrap_err();
        assert_eq!(err.field, "before");
        let search = EventQuery {
            type_prefix: Some("order.".into()),
            payload: vec![("customer.id".into(), "c1".into())],
            ..EventQuery::default()
        }
        .check()
        .unwrap();
        assert_eq!(
            search.type_range(),
            Some(("order.".into(), "order/".into()))
        );
    }
}
