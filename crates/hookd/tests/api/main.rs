//! Integration tests of the hookd server: every route's success and main errors, on SQLite and on
//! PostgreSQL (`HOOKD_TEST_DATABASE_URL`), with deliveries received by a real HTTP receiver.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed assertion

mod accounts;
mod apps;
mod bad_input;
mod cli;
mod crash;
mod deliveries;
mod events;
mod formats;
mod helpers;
mod openapi;
mod queues;
mod subscriptions;
mod system;
