//! Delivery: the dispatcher leases due deliveries from the store, formats and signs each attempt, sends it
//! through the guarded HTTP client and records the outcome, scheduling retries on the `standard` profile.

pub mod batch;
pub mod dispatcher;
pub mod formats;
pub mod ops;
pub mod outcome;
pub mod queue;
#[cfg(test)]
mod receiver_abuse;
pub mod retention;
pub mod retry;
pub mod sender;
pub mod ssrf;

pub use dispatcher::Dispatcher;
