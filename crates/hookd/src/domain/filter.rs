//! Which events a subscription receives: event types (all when empty; `prefix.*` takes every type under
//! `prefix.`), one channel or all, a set of users or all (SPEC §2). A payload filter
//! (`payload_filter.rs`) narrows further.

use super::{EventType, Invalid};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub event_types: Vec<EventType>,
    pub channel_id: Option<String>,
    pub users: Vec<String>,
}

const MAX_EVENT_TYPES: usize = 100;
const MAX_USERS: usize = 1000;

impl Filter {
    pub fn parse(
        event_types: &[String],
        channel_id: Option<&str>,
        users: &[String],
    ) -> Result<Self, Invalid> {
        if event_types.len() > MAX_EVENT_TYPES {
            return Err(Invalid::new(
                "event_types",
                format!("at most {MAX_EVENT_TYPES} entries"),
            ));
        }
        if users.len() > MAX_USERS {
            return Err(Invalid::new(
                "users",
                format!("at most {MAX_USERS} entries"),
            ));
        }
        let mut types = event_types
            .iter()
            .enumerate()
            .map(|(i, t)| EventType::pattern(t).map_err(|e| e.at(format!("event_types[{i}]"))))
            .collect::<Result<Vec<_>, _>>()?;
        types.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        types.dedup();
        let channel_id = channel_id
            .map(|c| attribute(c).map_err(|e| e.at("channel_id")))
            .transpose()?;
        let mut users = users
            .iter()
            .enumerate()
            .map(|(i, u)| attribute(u).map_err(|e| e.at(format!("users[{i}]"))))
            .collect::<Result<Vec<_>, _>>()?;
        users.sort();
        users.dedup();
        Ok(Self {
            event_types: types,
            channel_id,
            users,
        })
    }

    pub fn matches(
        &self,
        event_type: &str,
        channel_id: Option<&str>,
        user_id: Option<&str>,
    ) -> bool {
        (self.event_types.is_empty()
            || self
                .event_types
                .iter()
                .any(|t| super::catalog::type_matches(t.as_str(), event_type)))
            && self
                .channel_id
                .as_deref()
                .is_none_or(|c| Some(c) == channel_id)
            && (self.users.is_empty() || user_id.is_some_and(|u| self.users.iter().any(|x| x == u)))
    }
}

/// A channel or user id: 1–128 printable characters without spaces.
pub fn attribute(raw: &str) -> Result<String, Invalid> {
    if raw.is_empty() || raw.len() > 128 || !raw.chars().all(|c| c.is_ascii_graphic()) {
        return Err(Invalid::new(
            "",
            "must be 1 to 128 printable ASCII characters without spaces",
        ));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn empty_filter_matches_everything() {
        assert!(Filter::default().matches("a", None, None));
        assert!(Filter::default().matches("a", Some("c"), Some("u")));
    }

    #[test]
    fn each_dimension_narrows() {
        let f =
            Filter::parse(&s(&["order.created"]), Some("room1"), &s(&["alice", "bob"])).unwrap();
        assert!(f.matches("order.created", Some("room1"), Some("bob")));
        assert!(!f.matches("order.deleted", Some("room1"), Some("bob")));
        assert!(!f.matches("order.created", Some("room2"), Some("bob")));
        assert!(!f.matches("order.created", None, Some("bob")));
        assert!(!f.matches("order.created", Some("room1"), Some("carol")));
        assert!(!f.matches("order.created", Some("room1"), None));
    }

    #[test]
    fn a_wildcard_takes_the_types_under_its_prefix() {
        let f = Filter::parse(&s(&["order.*", "user.created"]), None, &[]).unwrap();
        assert!(f.matches("order.created", None, None));
        assert!(f.matches("order.line.added", None, None));
        assert!(f.matches("user.created", None, None));
        assert!(!f.matches("orders.created", None, None));
        assert!(!f.matches("user.deleted", None, None));
        for bad in ["*", "order*", "order.*.x", ".*"] {
            assert!(Filter::parse(&s(&[bad]), None, &[]).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_element() {
        let err = Filter::parse(&s(&["ok", "bad type"]), None, &[]).unwrap_err();
        assert_eq!(err.field, "event_types[1]");
        let err = Filter::parse(&[], None, &s(&["a", ""])).unwrap_err();
        assert_eq!(err.field, "users[1]");
    }
}
