//! Access-key policies: the list of action patterns a key may perform.
//!
//! An action is `product:Name` — `hookd:subscriptions.write` for the native API, or the vendor's own
//! action name for a dialect (`live:UpdateEventSub`). A pattern is an action, `*`, or a prefix ending in
//! `*` (`live:*`, `hookd:subscriptions.*`).

use super::Invalid;

/// Products whose actions a policy may name.
const PRODUCTS: [&str; 5] = ["hookd", "cams", "live", "ess", "meeting"];

/// A native API action, checked on every route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    AppsRead,
    AppsWrite,
    SubscriptionsRead,
    SubscriptionsWrite,
    EventsRead,
    EventsWrite,
    DeliveriesRead,
    DeliveriesWrite,
    PortalRead,
    PortalWrite,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::AppsRead => "hookd:apps.read",
            Action::AppsWrite => "hookd:apps.write",
            Action::SubscriptionsRead => "hookd:subscriptions.read",
            Action::SubscriptionsWrite => "hookd:subscriptions.write",
            Action::EventsRead => "hookd:events.read",
            Action::EventsWrite => "hookd:events.write",
            Action::DeliveriesRead => "hookd:deliveries.read",
            Action::DeliveriesWrite => "hookd:deliveries.write",
            Action::PortalRead => "hookd:portal.read",
            Action::PortalWrite => "hookd:portal.write",
        }
    }
}

/// One validated entry of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPattern(String);

impl ActionPattern {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bad = |why: &str| Invalid::new("policy", format!("`{raw}` {why}"));
        if raw == "*" {
            return Ok(Self(raw.to_owned()));
        }
        let (product, action) = raw
            .split_once(':')
            .ok_or_else(|| bad("must be `*` or `product:action`"))?;
        if !PRODUCTS.contains(&product) {
            return Err(bad(&format!(
                "names an unknown product (expected one of {})",
                PRODUCTS.join(", ")
            )));
        }
        let stem = action.strip_suffix('*').unwrap_or(action);
        if action.is_empty()
            || stem.contains('*')
            || !stem
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        {
            return Err(bad(
                "has an invalid action (letters, digits, `.` and `_`, optionally ending in `*`)",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn allows(&self, action: &str) -> bool {
        match self.0.strip_suffix('*') {
            Some(prefix) => action.starts_with(prefix),
            None => self.0 == action,
        }
    }
}

/// The patterns of one access key; empty means the key may do nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy(Vec<ActionPattern>);

impl Policy {
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, Invalid> {
        if raw.len() > 100 {
            return Err(Invalid::new("policy", "at most 100 entries"));
        }
        raw.iter()
            .enumerate()
            .map(|(i, p)| {
                ActionPattern::parse(p.as_ref()).map_err(|e| e.at(format!("policy[{i}]")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn allows(&self, action: &str) -> bool {
        self.0.iter().any(|p| p.allows(action))
    }

    pub fn entries(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(ActionPattern::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exactly_or_by_prefix() {
        let p = Policy::parse(&["live:*", "hookd:subscriptions.write"]).unwrap();
        assert!(p.allows("live:UpdateEventSub"));
        assert!(p.allows("hookd:subscriptions.write"));
        assert!(!p.allows("hookd:subscriptions.read"));
        assert!(!p.allows("cams:UpdateAccountWebhook"));
        assert!(Policy::parse(&["*"])
            .unwrap()
            .allows("ess:ModifyApplicationCallbackInfo"));
        assert!(!Policy::default().allows("hookd:apps.read"));
    }

    #[test]
    fn bad_patterns_name_their_position() {
        let err = Policy::parse(&["*", "nope:x"]).unwrap_err();
        assert_eq!(err.field, "policy[1]");
        assert!(err.message.contains("unknown product"));
        assert!(Policy::parse(&["live:Up*date"]).is_err());
        assert!(Policy::parse(&["live:"]).is_err());
        assert!(Policy::parse(&["live"]).is_err());
    }
}
