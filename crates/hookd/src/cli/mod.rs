//! The command line: `serve`, `migrate`, `config`; admin commands that operate a running server through
//! its API (accounts, keys, apps, subscriptions, events, deliveries, replays, a live tail of attempts,
//! portal links), printing tables or JSON; `receive`, a local receiver that prints and verifies the
//! callbacks it gets; and the shell completions and man pages of all of it.

mod commands;
mod print;
mod receive;
mod remote;
mod tail;

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, CommandFactory, Parser, Subcommand};
use serde_json::json;

use self::{
    commands::{AccountCmd, AppCmd, DeliveryCmd, EventCmd, KeyCmd, ReplayArgs, SubscriptionCmd},
    print::Output,
    remote::{Call, Client, Remote},
    tail::TailArgs,
};
use crate::{config::Config, telemetry, Application};

#[derive(Debug, Parser)]
#[command(
    name = "hookd",
    version,
    about = "Self-hosted callback (webhook) delivery",
    long_about = "Self-hosted callback (webhook) delivery.\n\n`hookd serve` runs the server. The other \
                  commands operate a running server through its API (`--server`, default the configured \
                  listen address) with the admin token of the local configuration, or with `--token` \
                  (an access key); `--output json` prints the server's JSON for scripts."
)]
pub struct Cli {
    /// TOML configuration file
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
    /// Create, list and show accounts (admin token).
    #[command(subcommand)]
    Account(AccountCmd),
    /// Create, list and delete an account's access keys (admin token).
    #[command(subcommand)]
    Key(KeyCmd),
    /// Create, list, show and delete apps.
    #[command(subcommand)]
    App(AppCmd),
    /// Create, list, show, change, delete, enable, disable and test subscriptions; rotate and reveal
    /// their secrets.
    #[command(subcommand)]
    Subscription(SubscriptionCmd),
    /// Publish, list and show events.
    #[command(subcommand)]
    Event(EventCmd),
    /// List and show deliveries with their attempts; retry one.
    #[command(subcommand)]
    Delivery(DeliveryCmd),
    /// Send a subscription's failed (retrying and dead) deliveries again.
    Replay(ReplayArgs),
    /// Follow the account's delivery attempts as they finish, one line each.
    Tail(TailArgs),
    /// Open a customer-portal session for an app and print its link (on stdout; the session's id and
    /// expiry on stderr). Open the link, or use it as an `<iframe>`'s `src`.
    PortalLink(PortalLinkArgs),
    /// Ask a running server whether it is ready (`/readyz`): exit 0 when it is, non-zero otherwise. A
    /// health check for containers, which have no shell or curl.
    Health {
        /// Base URL of the hookd server [default: http://<listen> of the configuration]
        #[arg(long, env = "HOOKD_SERVER", value_name = "URL")]
        server: Option<String>,
    },
    /// Run a local receiver that prints every callback and checks its signature.
    Receive {
        /// Address to listen on
        #[arg(long, default_value = "127.0.0.1:9000")]
        listen: std::net::SocketAddr,
        /// The subscription's `whsec_…` secret, to verify `webhook-signature`
        #[arg(long)]
        secret: Option<String>,
    },
    /// Print a shell completion script: `hookd completions bash > /etc/bash_completion.d/hookd`.
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the man page, or with `--dir` write one page per command (`hookd.1`, `hookd-subscription-create.1`, …).
    Man {
        /// Write every page into this directory instead
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

// `hookd portal-link` (flattened; the command's doc comment is on the variant).
#[derive(Debug, Args)]
pub struct PortalLinkArgs {
    /// The app whose endpoints the customer manages
    app: String,
    /// The account the app belongs to
    #[arg(long, env = "HOOKD_ACCOUNT")]
    account: String,
    /// `manage` (add, change, test and delete endpoints; retry deliveries) or `read-only`
    #[arg(long, default_value = "manage")]
    capability: String,
    /// Limit the session to these event types (repeatable; `prefix.*` allowed); every type when absent
    #[arg(long = "event-type")]
    event_types: Vec<String>,
    /// How long the link works, in seconds (60 to 86400)
    #[arg(long, default_value_t = crate::service::DEFAULT_TTL_SECONDS)]
    ttl: u64,
    /// Who the session is for, shown in the list of sessions
    #[arg(long)]
    description: Option<String>,
    #[command(flatten)]
    remote: Remote,
}

/// `GET {base}/readyz` within 5 s; Ok when it answers 200.
async fn health(base: &str) -> anyhow::Result<()> {
    let url = format!("{base}/readyz");
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

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => {
            let traces = telemetry::init(config.log_format, config.otlp_endpoint.as_deref())?;
            config.warn_ignored_env();
            let app = Application::build(config).await?;
            let served = app.run_until_stopped(crate::app::shutdown_signal()).await;
            traces.shutdown().await;
            served
        }
        Command::Migrate => {
            telemetry::init_logging(config.log_format);
            config.warn_ignored_env();
            let store = crate::store::connect(&config).await?;
            println!("migrations applied ({})", store.backend());
            Ok(())
        }
        Command::Config => {
            print!("{}", config.to_redacted_toml()?);
            Ok(())
        }
        Command::Health { server } => {
            health(&remote::server_base(server.as_deref(), &config)).await
        }
        Command::Receive { listen, secret } => receive::run(listen, secret).await,
        Command::Account(cmd) => commands::account(cmd, &config).await,
        Command::Key(cmd) => commands::key(cmd, &config).await,
        Command::App(cmd) => commands::app(cmd, &config).await,
        Command::Subscription(cmd) => commands::subscription(cmd, &config).await,
        Command::Event(cmd) => commands::event(cmd, &config).await,
        Command::Delivery(cmd) => commands::delivery(cmd, &config).await,
        Command::Replay(args) => commands::replay(args, &config).await,
        Command::Tail(args) => tail::run(args, &config).await,
        Command::PortalLink(args) => portal_link(args, &config).await,
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "hookd", &mut out);
            print::emit(&String::from_utf8_lossy(&out))
        }
        Command::Man { dir } => match dir {
            Some(dir) => {
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                clap_mangen::generate_to(Cli::command(), &dir)
                    .with_context(|| format!("cannot write the man pages into {}", dir.display()))
            }
            None => {
                let mut out = Vec::new();
                clap_mangen::Man::new(Cli::command()).render(&mut out)?;
                print::emit(&String::from_utf8_lossy(&out))
            }
        },
    }
}

async fn portal_link(args: PortalLinkArgs, config: &Config) -> anyhow::Result<()> {
    let PortalLinkArgs {
        app,
        account,
        capability,
        event_types,
        ttl,
        description,
        remote,
    } = args;
    let client = Client::new(&remote, None, config)?;
    let call = Call::post(
        format!("/apps/{app}/portal-sessions"),
        json!({
            "capability": capability,
            "event_types": (!event_types.is_empty()).then_some(event_types),
            "ttl_seconds": ttl,
            "description": description,
        }),
    )
    .header(crate::api::extract::ACCOUNT_HEADER, Some(account));
    let session = client.send(call).await?;
    if client.output == Output::Json {
        return print::emit(&print::json(&session));
    }
    let field = |name: &str| session[name].as_str().unwrap_or_default().to_owned();
    print::emit(&format!("{}\n", field("url")))?;
    eprintln!(
        "portal session {} ({}) until {}",
        field("id"),
        field("capability"),
        field("expires_at")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// Every command of the tree, with its path (`hookd subscription create`).
    fn walk(command: &clap::Command, path: String, out: &mut Vec<(String, clap::Command)>) {
        for sub in command.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let path = format!("{path} {}", sub.get_name());
            out.push((path.clone(), sub.clone()));
            walk(sub, path, out);
        }
    }

    /// Each command and option says what it is for, in its own words: a help line shared by two commands
    /// is how a flattened option group's doc once took the place of `subscription create` and `list`.
    #[test]
    fn every_help_line_describes_its_own_command() {
        let mut root = Cli::command();
        root.build();
        root.clone().debug_assert();
        let mut commands = Vec::new();
        walk(&root, "hookd".into(), &mut commands);
        assert!(commands.len() > 40, "{} commands", commands.len());
        let mut abouts: HashMap<String, String> = HashMap::new();
        for (path, command) in &commands {
            let about = command
                .get_about()
                .map(|a| a.to_string())
                .unwrap_or_default();
            assert!(
                about.len() >= 12 && about.starts_with(|c: char| c.is_uppercase()),
                "`{path}` has no description of its own: {about:?}"
            );
            if let Some(other) = abouts.insert(about.clone(), path.clone()) {
                panic!("`{path}` and `{other}` share the help line {about:?}");
            }
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                assert!(
                    help.len() >= 5,
                    "`{path}`'s argument `{id}` has no help: {help:?}"
                );
            }
        }
        for wanted in [
            "hookd subscription get",
            "hookd subscription update",
            "hookd subscription delete",
            "hookd subscription enable",
            "hookd subscription disable",
            "hookd subscription rotate-secret",
            "hookd subscription test",
            "hookd delivery list",
            "hookd delivery get",
            "hookd delivery retry",
            "hookd replay",
            "hookd event list",
            "hookd event get",
            "hookd tail",
            "hookd completions",
            "hookd man",
        ] {
            assert!(
                commands.iter().any(|(path, _)| path == wanted),
                "no `{wanted}`"
            );
        }
        // Every command that calls the API can print JSON for scripts.
        for (path, command) in &commands {
            if command.get_arguments().any(|a| a.get_id() == "server") && !path.ends_with("health")
            {
                assert!(
                    command.get_arguments().any(|a| a.get_id() == "output"),
                    "`{path}` has no --output"
                );
            }
        }
    }
}
