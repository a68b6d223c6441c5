//! Integration tests of the hookd server: every route's success and main errors, on SQLite and on
//! PostgreSQL (`HOOKD_TEST_DATABASE_URL`), with deliveries received by a real HTTP receiver.

mod accounts;
mod apps;
mod bad_input;
mod crash;
mod deliveries;
mod events;
mod helpers;
mod openapi;
mod subscriptions;
mod system;
