//! Delivery: the dispatcher leases due deliveries from the store, formats and signs each attempt, sends it
//! through the guarded HTTP client (or a queue publisher) and records the outcome (`outcome`: the reply or
//! the kind of failure), scheduling retries by the subscription's policy (`domain::retry`).

pub mod dispatcher;
pub mod formats;
pub mod ops;
pub mod outcome;
pub mod publish;
pub mod queue;
#[cfg(test)]
mod receiver_abuse;
pub mod retention;
pub mod sender;
pub mod ssrf;

pub use dispatcher::{Backlogged, Dispatcher};
