//! The command line: `serve`, `migrate`, `config`, thin admin commands that call a running server's API
//! with the admin token (so a newcomer can try hookd without curl), and `receive`, a local receiver that
//! prints and verifies the callbacks it gets.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use serde_json::{json, Value};

use crate::{app::ServerSecrets, config::Config, telemetry, Application};

#[derive(Debug, Parser)]
#[command(
    name = "hookd",
    version,
    about = "Self-hosted callback (webhook) delivery"
)]
pub struct Cli {
    /// TOML configuration file (also `HOOKD_CONFIG`).
    #[arg(long, global = true, env = "HOOKD_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and deliver callbacks.
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Print the effective configuration, secrets redacted.
    Config,
    /// Manage accounts (admin).
    #[command(subcommand)]
    Account(AccountCmd),
    /// Manage access keys (admin).
    #[command(subcommand)]
    Key(KeyCmd),
    /// Manage apps.
    #[command(subcommand)]
    App(AppCmd),
    /// Manage subscriptions.
    #[command(subcommand)]
    Subscription(SubscriptionCmd),
    /// Publish events.
    #[command(subcommand)]
    Event(EventCmd),
    /// Open a customer-portal session for an app and print its link (on stdout; the session's id and
    /// expiry on stderr). Open the link, or use it as an `<iframe>`'s `src`.
    PortalLink {
        /// The app whose endpoints the customer manages.
        app: String,
        /// The account the app belongs to.
        #[arg(long)]
        account: String,
        /// `manage` (add, change, test and delete endpoints; retry deliveries) or `read-only`.
        #[arg(long, default_value = "manage")]
        capability: String,
        /// Limit the session to these event types (repeatable; `prefix.*` allowed); every type when absent.
        #[arg(long = "event-type")]
        event_types: Vec<String>,
        /// How long the link works, in seconds (60 to 86400).
        #[arg(long, default_value_t = crate::service::DEFAULT_TTL_SECONDS)]
        ttl: u64,
        /// Who the session is for, shown in the list of sessions.
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        target: Target,
    },
    /// Ask a running server whether it is ready (`/readyz`): exit 0 when it is, non-zero otherwise. A
    /// health check for containers, which have no shell or curl.
    Health {
        #[command(flatten)]
        target: Target,
    },
    /// Run a local receiver that prints every callback and checks its signature.
    Receive {
        #[arg(long, default_value = "127.0.0.1:9000")]
        listen: std::net::SocketAddr,
        /// The subscription's `whsec_…` secret, to verify `webhook-signature`.
        #[arg(long)]
        secret: Option<String>,
    },
}

/// Where the admin commands send their requests.
#[derive(Debug, Args)]
pub struct Target {
    /// Base URL of the hookd server; default `http://<listen>` from the configuration.
    #[arg(long, env = "HOOKD_SERVER")]
    server: Option<String>,
}

impl Target {
    fn base(&self, config: &Config) -> String {
        self.server
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.listen))
    }
}

/// `GET {base}/readyz` within 5 s; Ok when it answers 200.
async fn health(base: &str) -> anyhow::Result<()> {
    let url = format!("{}/readyz", base.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .get(&url)
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .with_context(|| format!("cannot reach hookd at {url}"))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("hookd at {url} is not ready: {status} {body}");
    }
    println!("ready");
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum AccountCmd {
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        parent: Option<String>,
        #[command(flatten)]
        target: Target,
    },
    List {
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    Create {
        #[arg(long)]
        account: String,
        /// Allowed action patterns (repeatable); default `*`.
        #[arg(long = "policy", default_value = "*")]
        policy: Vec<String>,
        #[arg(long)]
        user_id: Option<String>,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Debug, Subcommand)]
pub enum AppCmd {
    Create {
        #[arg(long)]
        account: String,
        #[arg(long)]
        id: String,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Debug, Subcommand)]
pub enum SubscriptionCmd {
    Create {
        #[arg(long)]
        account: String,
        #[arg(long)]
        app: String,
        #[arg(long)]
        url: String,
        /// Event types to deliver (repeatable); all when absent.
        #[arg(long = "event-type")]
        event_types: Vec<String>,
        #[command(flatten)]
        target: Target,
    },
    List {
        #[arg(long)]
        account: String,
        #[arg(long)]
        app: String,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Debug, Subcommand)]
pub enum EventCmd {
    Publish {
        #[arg(long)]
        account: String,
        #[arg(long)]
        app: String,
        #[arg(long = "type", default_value = "hookd.test")]
        event_type: String,
        /// JSON payload.
        #[arg(long, default_value = r#"{"hello":"world"}"#)]
        payload: String,
        #[command(flatten)]
        target: Target,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    let request = match cli.command {
        Command::Serve => {
            let traces = telemetry::init(config.log_format, config.otlp_endpoint.as_deref())?;
            config.warn_ignored_env();
            let app = Application::build(config).await?;
            let served = app.run_until_stopped(crate::app::shutdown_signal()).await;
            traces.shutdown().await;
            return served;
        }
        Command::Migrate => {
            telemetry::init_logging(config.log_format);
            config.warn_ignored_env();
            let store = crate::store::connect(&config).await?;
            println!("migrations applied ({})", store.backend());
            return Ok(());
        }
        Command::Config => {
            print!("{}", config.to_redacted_toml()?);
            return Ok(());
        }
        Command::Health { target } => return health(&target.base(&config)).await,
        Command::Receive { listen, secret } => {
            return crate::cli_receive::run(listen, secret).await
        }
        Command::Account(AccountCmd::Create {
            name,
            parent,
            target,
        }) => ApiCall::post(
            target,
            "/api/v1/accounts".into(),
            json!({ "name": name, "parent_id": parent }),
        ),
        Command::Account(AccountCmd::List { target }) => {
            ApiCall::get(target, "/api/v1/accounts".into())
        }
        Command::Key(KeyCmd::Create {
            account,
            policy,
            user_id,
            target,
        }) => ApiCall::post(
            target,
            format!("/api/v1/accounts/{account}/keys"),
            json!({ "policy": policy, "user_id": user_id }),
        ),
        Command::App(AppCmd::Create {
            account,
            id,
            target,
        }) => ApiCall::post(target, "/api/v1/apps".into(), json!({ "id": id })).acting_in(account),
        Command::Subscription(SubscriptionCmd::Create {
            account,
            app,
            url,
            event_types,
            target,
        }) => ApiCall::post(
            target,
            format!("/api/v1/apps/{app}/subscriptions"),
            json!({ "url": url, "event_types": event_types }),
        )
        .acting_in(account),
        Command::Subscription(SubscriptionCmd::List {
            account,
            app,
            target,
        }) => ApiCall::get(target, format!("/api/v1/apps/{app}/subscriptions")).acting_in(account),
        Command::PortalLink {
            app,
            account,
            capability,
            event_types,
            ttl,
            description,
            target,
        } => {
            let call = ApiCall::post(
                target,
                format!("/api/v1/apps/{app}/portal-sessions"),
                json!({
                    "capability": capability,
                    "event_types": (!event_types.is_empty()).then_some(event_types),
                    "ttl_seconds": ttl,
                    "description": description,
                }),
            )
            .acting_in(account);
            let session = call.fetch(&config).await?;
            let field = |name: &str| session[name].as_str().unwrap_or_default().to_owned();
            println!("{}", field("url"));
            eprintln!(
                "portal session {} ({}) until {}",
                field("id"),
                field("capability"),
                field("expires_at")
            );
            return Ok(());
        }
        Command::Event(EventCmd::Publish {
            account,
            app,
            event_type,
            payload,
            target,
        }) => {
            let payload: Value =
                serde_json::from_str(&payload).context("--payload is not valid JSON")?;
            ApiCall::post(
                target,
                format!("/api/v1/apps/{app}/events"),
                json!({ "type": event_type, "payload": payload }),
            )
            .acting_in(account)
        }
    };
    request.send(&config).await
}

/// One request of an admin command.
struct ApiCall {
    target: Target,
    account: Option<String>,
    method: reqwest::Method,
    path: String,
    body: Option<Value>,
}

impl ApiCall {
    fn get(target: Target, path: String) -> Self {
        Self {
            target,
            account: None,
            method: reqwest::Method::GET,
            path,
            body: None,
        }
    }

    fn post(target: Target, path: String, body: Value) -> Self {
        Self {
            target,
            account: None,
            method: reqwest::Method::POST,
            path,
            body: Some(body),
        }
    }

    /// Acts in `account` (sent as `Hookd-Account`).
    fn acting_in(mut self, account: String) -> Self {
        self.account = Some(account);
        self
    }

    /// Sends the request and prints the JSON answer; fails on an error status.
    async fn send(self, config: &Config) -> anyhow::Result<()> {
        let (status, text) = self.call(config).await?;
        println!("{}", pretty(&text));
        if !status.is_success() {
            bail!("hookd answered {status}");
        }
        Ok(())
    }

    /// Sends the request and returns the JSON answer; on an error status, prints it and fails.
    async fn fetch(self, config: &Config) -> anyhow::Result<Value> {
        let (status, text) = self.call(config).await?;
        if !status.is_success() {
            eprintln!("{}", pretty(&text));
            bail!("hookd answered {status}");
        }
        serde_json::from_str(&text).context("hookd's answer is not JSON")
    }

    /// Sends the request with the admin token: the status and body of the answer.
    async fn call(self, config: &Config) -> anyhow::Result<(reqwest::StatusCode, String)> {
        let base = self.target.base(config);
        let token = ServerSecrets::admin_token(config)?;
        let mut request = reqwest::Client::new()
            .request(
                self.method,
                format!("{}{}", base.trim_end_matches('/'), self.path),
            )
            .bearer_auth(token);
        if let Some(account) = &self.account {
            request = request.header(crate::api::extract::ACCOUNT_HEADER, account);
        }
        if let Some(body) = &self.body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach hookd at {base}"))?;
        let status = response.status();
        Ok((status, response.text().await?))
    }
}

/// JSON text indented, or the text as it is.
fn pretty(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}
