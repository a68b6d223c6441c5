//! Batching, for formats whose body is an array (`cams`): a subscription's deliveries wait up to
//! `max_wait_ms` after their event and go out together, at most `max_events` per request; a delivery that
//! makes `max_events` waiting is due at once. Each delivery still records its own attempt and follows its
//! own retry schedule; a failed batch's deliveries are retried together when they are due.

use serde::{Deserialize, Serialize};

use crate::domain::Invalid;

pub const MAX_EVENTS: u32 = 1_000;
pub const MAX_WAIT_MS: u32 = 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchPolicy {
    /// Events per request, 1 to 1000.
    pub max_events: u32,
    /// How long an event may wait for others, 0 to 60 000 ms.
    pub max_wait_ms: u32,
}

impl BatchPolicy {
    pub fn check(&self) -> Result<(), Invalid> {
        if !(1..=MAX_EVENTS).contains(&self.max_events) {
            return Err(Invalid::new(
                "batch",
                format!("max_events must be 1 to {MAX_EVENTS}"),
            ));
        }
        if self.max_wait_ms > MAX_WAIT_MS {
            return Err(Invalid::new(
                "batch",
                format!("max_wait_ms must be 0 to {MAX_WAIT_MS}"),
            ));
        }
        Ok(())
    }

    pub fn to_json(self) -> String {
        serde_json::to_string(&self).unwrap_or_default()
    }

    pub fn from_json(raw: &str) -> Option<Self> {
        serde_json::from_str(raw).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked_and_policies_round_trip() {
        let ok = BatchPolicy {
            max_events: 50,
            max_wait_ms: 500,
        };
        assert!(ok.check().is_ok());
        assert_eq!(BatchPolicy::from_json(&ok.to_json()), Some(ok));
        for bad in [
            BatchPolicy {
                max_events: 0,
                max_wait_ms: 0,
            },
            BatchPolicy {
                max_events: 1,
                max_wait_ms: 60_001,
            },
        ] {
            assert_eq!(bad.check().unwrap_err().field, "batch");
        }
    }
}
