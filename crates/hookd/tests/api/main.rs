//! Integration tests of the hookd server: every route's success and main errors, on SQLite and on
//! PostgreSQL (`HOOKD_TEST_DATABASE_URL`), with deliveries received by a real HTTP receiver.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed assertion

mod abuse;
mod accounts;
mod apps;
mod backpressure;
mod bad_input;
mod batching;
mod catalog;
mod cli;
mod cluster;
mod cluster_guards;
mod console_api;
mod crash;
mod deliveries;
mod dialect_requests;
mod ess;
mod events;
mod fault_fs;
mod fifo;
mod formats;
mod health;
mod helpers;
mod isolation;
mod locking;
mod openapi;
mod pg_restart;
mod portal;
mod queues;
mod rate_limits;
mod rebinding;
mod replay;
mod retention;
mod retries;
mod sealed_values;
mod secrets;
mod signing;
mod startup;
mod storage_faults;
mod subscriptions;
mod system;
mod tenancy;
mod traces;
