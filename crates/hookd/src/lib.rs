//! hookd: a self-hosted callback (webhook) platform. The binary's `main` only parses the command line;
//! everything it runs is here, so tests build the same server in-process.
//!
//! Layout: `domain` (validated types, retry and batch policies, a subscription's compiled settings),
//! `store` (SQLite and PostgreSQL, one trait per concern),
//! `service` (the domain operations), `views` (the entities as the APIs show them, built from store rows),
//! `delivery` (dispatcher, sender, queue publishers, outcomes, SSRF guard, callback formats), `api` (the
//! native REST API and the request context), `dialects` (the vendors' APIs, thin translations onto
//! `service`, beside `api` and independent of it), `console` (the embedded web console), `telemetry`
//! (logs, metrics, traces, request id), `app` (wiring: assembles the routes, runs the dispatcher;
//! lifecycle), `cli` (commands). No two modules depend on each other (`scripts/check-module-cycles`).

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod console;
pub mod crypto;
pub mod delivery;
pub mod dialects;
pub mod domain;
pub mod sealed;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod views;

pub use app::Application;
pub use config::Config;
