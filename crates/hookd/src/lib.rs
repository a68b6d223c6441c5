//! hookd: a self-hosted callback (webhook) platform. The binary's `main` only parses the command line;
//! everything it runs is here, so tests build the same server in-process.
//!
//! Layout: `domain` (validated types), `store` (SQLite and PostgreSQL), `service` (the domain operations),
//! `delivery` (dispatcher, sender, SSRF guard, retry profiles, callback formats), `api` (the native REST
//! API), `app` (wiring and lifecycle), `cli` (commands). Vendor dialects will sit beside `api`, as thin
//! translations onto `service`.

pub mod api;
pub mod app;
pub mod cli;
mod cli_receive;
pub mod config;
pub mod console;
pub mod crypto;
pub mod delivery;
pub mod dialects;
pub mod domain;
pub mod model;
pub mod sealed;
pub mod service;
pub mod store;
pub mod telemetry;

pub use app::Application;
pub use config::Config;
