//! The domain model: validated value types that every API surface parses into at its edge, and the
//! entities of SPEC §2, and the delivery policies (`retry` schedules, `batch` policies) the service
//! validates and the dispatcher follows. Code past the edge receives these types and never re-checks them.

pub mod batch;
pub mod catalog;
pub mod compiled;
mod filter;
mod ids;
pub mod payload_filter;
mod policy;
pub mod portal;
pub mod retry;
mod secret;
mod types;
pub mod url;

pub use compiled::{corrupt, Corrupt, Settings};
pub use filter::{attribute, Filter};
pub use ids::{least_id_at, new_id, new_key_id, new_key_secret, now_ms};
pub use policy::{Action, ActionPattern, Policy};
pub use secret::{AsymmetricKey, SecretSet, WebhookSecret};
pub use types::{
    AppId, AppKind, DeliveryStatus, EventType, ExtraHeaders, Format, Ordering, Product, Products,
    SchemaValidation, SubscriptionStatus,
};
pub use url::{AmqpTarget, CallbackUrl, Destination, Target};

/// A value failed validation. `field` names the offending input as the client spelled it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same problem, reported under a more specific field path (e.g. `users[3]`).
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }
}
