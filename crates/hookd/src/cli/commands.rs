//! The admin commands that call a running server's API: accounts, keys, apps, subscriptions, events,
//! deliveries and replays. Each prints the answer as `--output` says.

use anyhow::Context;
use clap::{ArgGroup, Args, Subcommand};
use serde_json::{json, Map, Value};

use super::{
    print::{self, column, Column, Output},
    remote::{Acting, Call, Client, Remote},
};
use crate::config::Config;

const ACCOUNTS: &[Column] = &[
    column("ID", "/id"),
    column("NAME", "/name"),
    column("PARENT", "/parent_id"),
    column("CREATED", "/created_at"),
];
const KEYS: &[Column] = &[
    column("KEY", "/key_id"),
    column("POLICY", "/policy"),
    column("USER", "/user_id"),
    column("CREATED", "/created_at"),
];
const APPS: &[Column] = &[
    column("ID", "/id"),
    column("NAME", "/name"),
    column("KIND", "/kind"),
    column("CREATED", "/created_at"),
];
const SUBSCRIPTIONS: &[Column] = &[
    column("ID", "/id"),
    column("STATUS", "/status"),
    column("HEALTH", "/health"),
    column("FORMAT", "/format"),
    column("EVENT TYPES", "/event_types"),
    column("URL", "/url"),
];
const EVENTS: &[Column] = &[
    column("ID", "/id"),
    column("TYPE", "/type"),
    column("CREATED", "/created_at"),
    column("DELIVERIES", "/deliveries"),
];
const DELIVERIES: &[Column] = &[
    column("ID", "/id"),
    column("STATUS", "/status"),
    column("EVENT TYPE", "/event_type"),
    column("SUBSCRIPTION", "/subscription_id"),
    column("ATTEMPTS", "/attempts"),
    column("LAST", "/last_status_code"),
    column("FAILURE", "/last_failure"),
    column("NEXT ATTEMPT", "/next_attempt_at"),
];
pub const ATTEMPTS: &[Column] = &[
    column("#", "/attempt"),
    column("STARTED", "/started_at"),
    column("OK", "/succeeded"),
    column("STATUS", "/status_code"),
    column("FAILURE", "/failure"),
    column("MS", "/duration_ms"),
    column("ERROR", "/error"),
];

// Options of a list (flattened; no doc comment, which clap would take as the command's `about`).
#[derive(Debug, Args)]
pub struct Paging {
    /// Items per page (1–250; the server's default is 50)
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
    /// Start at this page (a previous answer's `next_cursor`)
    #[arg(long)]
    cursor: Option<String>,
    /// Follow `next_cursor` to the end and print every item
    #[arg(long, conflicts_with = "cursor")]
    all: bool,
}

// The app a command works in (flattened; see `Paging`).
#[derive(Debug, Args)]
pub struct InApp {
    /// The app
    #[arg(long)]
    app: String,
    #[command(flatten)]
    acting: Acting,
}

#[derive(Debug, Subcommand)]
pub enum AccountCmd {
    /// Create an account (admin token).
    Create {
        /// A name for people
        #[arg(long)]
        name: String,
        /// Make it a child of this account, whose keys may then act in it
        #[arg(long)]
        parent: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// List the accounts (admin token).
    List {
        #[command(flatten)]
        paging: Paging,
        #[command(flatten)]
        remote: Remote,
    },
    /// Show one account (admin token).
    Get {
        /// The account's id
        account: String,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Create an access key for an account and print its token, shown only now (admin token).
    Create {
        /// The account the key belongs to
        #[arg(long)]
        account: String,
        /// Allowed action patterns (repeatable), e.g. `hookd:events.write` or `hookd:*`
        #[arg(long = "policy", default_value = "*")]
        policy: Vec<String>,
        /// Bind the key to this operator (dialects that name one accept only it)
        #[arg(long)]
        user_id: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// List an account's access keys, without their secrets (admin token).
    List {
        /// The account whose keys to list
        #[arg(long)]
        account: String,
        #[command(flatten)]
        paging: Paging,
        #[command(flatten)]
        remote: Remote,
    },
    /// Delete an access key: it stops working at once (admin token).
    Delete {
        /// The key's id
        key: String,
        /// The account the key belongs to
        #[arg(long)]
        account: String,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Debug, Subcommand)]
pub enum AppCmd {
    /// Create an app: the unit events are published to and subscriptions belong to.
    Create {
        /// The app's id, used in every path (`shop`)
        #[arg(long)]
        id: String,
        /// A name for people
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        acting: Acting,
        #[command(flatten)]
        remote: Remote,
    },
    /// List the account's apps.
    List {
        #[command(flatten)]
        acting: Acting,
        #[command(flatten)]
        paging: Paging,
        #[command(flatten)]
        remote: Remote,
    },
    /// Show one app.
    Get {
        /// The app's id
        app: String,
        #[command(flatten)]
        acting: Acting,
        #[command(flatten)]
        remote: Remote,
    },
    /// Delete an app with its subscriptions, events and deliveries.
    Delete {
        /// The app's id
        app: String,
        #[command(flatten)]
        acting: Acting,
        #[command(flatten)]
        remote: Remote,
    },
}

// Settings shared by `subscription create` and `update` (flattened; see `Paging`).
#[derive(Debug, Args)]
pub struct SubscriptionSettings {
    /// Format of the callbacks: native, cams, ess, live-snapshot, live-rtc or meeting
    #[arg(long)]
    format: Option<String>,
    /// A description for people
    #[arg(long)]
    description: Option<String>,
    /// Deliveries per second at most (1–10000)
    #[arg(long, value_name = "PER_SECOND")]
    rate_limit: Option<u32>,
    /// A header sent with every callback, `NAME=VALUE` (repeatable; on update, replaces them all)
    #[arg(long = "header", value_name = "NAME=VALUE", value_parser = name_value)]
    headers: Vec<(String, String)>,
}

impl SubscriptionSettings {
    fn write_into(self, body: &mut Map<String, Value>) {
        if let Some(format) = self.format {
            body.insert("format".into(), json!(format));
        }
        if let Some(description) = self.description {
            body.insert("description".into(), json!(description));
        }
        if let Some(rate_limit) = self.rate_limit {
            body.insert("rate_limit".into(), json!(rate_limit));
        }
        if !self.headers.is_empty() {
            let headers: Map<String, Value> = self
                .headers
                .into_iter()
                .map(|(name, value)| (name, json!(value)))
                .collect();
            body.insert("headers".into(), Value::Object(headers));
        }
    }
}

fn name_value(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("`{raw}` is not NAME=VALUE")),
    }
}

// One subscription of an app: what every command on one takes (flattened; see `Paging`).
#[derive(Debug, Args)]
pub struct OneSubscription {
    /// The subscription's id
    subscription: String,
    #[command(flatten)]
    at: InApp,
    #[command(flatten)]
    remote: Remote,
}

impl OneSubscription {
    /// `/apps/{app}/subscriptions/{sub}` followed by `rest`.
    fn path(&self, rest: &str) -> String {
        format!(
            "/apps/{}/subscriptions/{}{rest}",
            self.at.app, self.subscription
        )
    }

    fn client(&self, config: &Config) -> anyhow::Result<Client> {
        Client::new(&self.remote, Some(&self.at.acting), config)
    }
}

#[derive(Debug, Subcommand)]
pub enum SubscriptionCmd {
    /// Create a subscription: where an app's events are delivered, and how. Prints its signing secret.
    Create {
        /// The receiver's URL (http, https, or a queue destination)
        #[arg(long)]
        url: String,
        /// Event types to deliver (repeatable; `prefix.*` allowed); every type when absent
        #[arg(long = "event-type", value_name = "TYPE")]
        event_types: Vec<String>,
        /// Create it disabled
        #[arg(long)]
        disabled: bool,
        #[command(flatten)]
        settings: SubscriptionSettings,
        #[command(flatten)]
        at: InApp,
        #[command(flatten)]
        remote: Remote,
    },
    /// List an app's subscriptions.
    List {
        #[command(flatten)]
        at: InApp,
        #[command(flatten)]
        paging: Paging,
        #[command(flatten)]
        remote: Remote,
    },
    /// Show one subscription (secrets masked; `subscription secret` reveals them).
    Get(OneSubscription),
    /// Change what is given of a subscription's URL, event types, format, description, rate limit and
    /// headers; the rest stays.
    Update {
        /// The receiver's new URL
        #[arg(long)]
        url: Option<String>,
        /// Deliver these event types instead (repeatable)
        #[arg(
            long = "event-type",
            value_name = "TYPE",
            conflicts_with = "all_event_types"
        )]
        event_types: Vec<String>,
        /// Deliver every event type
        #[arg(long)]
        all_event_types: bool,
        /// Remove the rate limit
        #[arg(long, conflicts_with = "rate_limit")]
        no_rate_limit: bool,
        #[command(flatten)]
        settings: SubscriptionSettings,
        #[command(flatten)]
        one: OneSubscription,
    },
    /// Delete a subscription; deliveries to it stop.
    Delete(OneSubscription),
    /// Deliver to a disabled subscription again (deliveries held while it was disabled are sent).
    Enable(OneSubscription),
    /// Stop delivering to a subscription until it is enabled; its deliveries wait.
    Disable(OneSubscription),
    /// Make a new signing secret current and print it; the old one keeps signing beside it for the
    /// rotation grace period.
    RotateSecret {
        /// The new `whsec_…` secret; generated when absent
        #[arg(long)]
        secret: Option<String>,
        #[command(flatten)]
        one: OneSubscription,
    },
    /// Print a subscription's signing secret, vendor secrets, header values and queue URL in clear.
    Secret(OneSubscription),
    /// Send a `hookd.test` event to one subscription, whatever its event types.
    Test(OneSubscription),
}

#[derive(Debug, Subcommand)]
pub enum EventCmd {
    /// Publish an event to an app: one delivery per matching subscription.
    Publish {
        /// The event type
        #[arg(long = "type", default_value = "hookd.test")]
        event_type: String,
        /// The payload, JSON
        #[arg(long, default_value = r#"{"hello":"world"}"#)]
        payload: String,
        /// Publishing again with the same key returns the first event instead of a second one
        #[arg(long)]
        idempotency_key: Option<String>,
        #[command(flatten)]
        at: InApp,
        #[command(flatten)]
        remote: Remote,
    },
    /// List an app's events, newest first, with how their deliveries are doing.
    List {
        /// Only events of this type
        #[arg(long = "type", value_name = "TYPE")]
        event_type: Option<String>,
        /// Only events whose type starts with this
        #[arg(long)]
        type_prefix: Option<String>,
        /// Only events created after this time (RFC 3339)
        #[arg(long, value_name = "TIME")]
        after: Option<String>,
        /// Only events created before this time (RFC 3339)
        #[arg(long, value_name = "TIME")]
        before: Option<String>,
        #[command(flatten)]
        at: InApp,
        #[command(flatten)]
        paging: Paging,
        #[command(flatten)]
        remote: Remote,
    },
    /// Show one event with its payload.
    Get {
        /// The event's id
        event: String,
        #[command(flatten)]
        at: InApp,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeliveryCmd {
    /// List the deliveries of a subscription (newest first) or of an event.
    #[command(group(ArgGroup::new("of").required(true).args(["subscription", "event"])))]
    List {
        /// Deliveries to this subscription
        #[arg(long)]
        subscription: Option<String>,
        /// Deliveries of this event
        #[arg(long)]
        event: Option<String>,
        /// Only deliveries in this status (with --subscription): pending, delivering, retrying,
        /// succeeded, dead
        #[arg(long, requires = "subscription")]
        status: Option<String>,
        #[command(flatten)]
        at: InApp,
        #[command(flatten)]
        paging: Paging,
        #[command(flatten)]
        remote: Remote,
    },
    /// Show one delivery with its attempts.
    Get {
        /// The delivery's id
        delivery: String,
        #[command(flatten)]
        acting: Acting,
        #[command(flatten)]
        remote: Remote,
    },
    /// Send a retrying or dead delivery again now.
    Retry {
        /// The delivery's id
        delivery: String,
        #[command(flatten)]
        acting: Acting,
        #[command(flatten)]
        remote: Remote,
    },
}

// `hookd replay` (flattened into its command, whose doc comment is in mod.rs).
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The subscription whose failed deliveries to send again
    #[arg(long)]
    subscription: String,
    /// Only deliveries created at or after this time (RFC 3339); every failed one when absent
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Count them only: nothing is sent
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    at: InApp,
    #[command(flatten)]
    remote: Remote,
}

pub async fn account(cmd: AccountCmd, config: &Config) -> anyhow::Result<()> {
    match cmd {
        AccountCmd::Create {
            name,
            parent,
            remote,
        } => {
            let body = json!({ "name": name, "parent_id": parent });
            show(
                &Client::new(&remote, None, config)?,
                Call::post("/accounts", body),
            )
            .await
        }
        AccountCmd::List { paging, remote } => {
            pages(
                &Client::new(&remote, None, config)?,
                Call::get("/accounts"),
                paging,
                ACCOUNTS,
            )
            .await
        }
        AccountCmd::Get { account, remote } => {
            show(
                &Client::new(&remote, None, config)?,
                Call::get(format!("/accounts/{account}")),
            )
            .await
        }
    }
}

pub async fn key(cmd: KeyCmd, config: &Config) -> anyhow::Result<()> {
    match cmd {
        KeyCmd::Create {
            account,
            policy,
            user_id,
            remote,
        } => {
            let body = json!({ "policy": policy, "user_id": user_id });
            let call = Call::post(format!("/accounts/{account}/keys"), body);
            show(&Client::new(&remote, None, config)?, call).await
        }
        KeyCmd::List {
            account,
            paging,
            remote,
        } => {
            let path = format!("/accounts/{account}/keys");
            pages(
                &Client::new(&remote, None, config)?,
                Call::get(&path),
                paging,
                KEYS,
            )
            .await
        }
        KeyCmd::Delete {
            key,
            account,
            remote,
        } => {
            let call = Call::delete(format!("/accounts/{account}/keys/{key}"));
            done(
                &Client::new(&remote, None, config)?,
                call,
                &format!("key {key} deleted"),
            )
            .await
        }
    }
}

pub async fn app(cmd: AppCmd, config: &Config) -> anyhow::Result<()> {
    match cmd {
        AppCmd::Create {
            id,
            name,
            acting,
            remote,
        } => {
            let mut body = json!({ "id": id });
            if let Some(name) = name {
                body["name"] = json!(name);
            }
            show(
                &Client::new(&remote, Some(&acting), config)?,
                Call::post("/apps", body),
            )
            .await
        }
        AppCmd::List {
            acting,
            paging,
            remote,
        } => {
            pages(
                &Client::new(&remote, Some(&acting), config)?,
                Call::get("/apps"),
                paging,
                APPS,
            )
            .await
        }
        AppCmd::Get {
            app,
            acting,
            remote,
        } => {
            show(
                &Client::new(&remote, Some(&acting), config)?,
                Call::get(format!("/apps/{app}")),
            )
            .await
        }
        AppCmd::Delete {
            app,
            acting,
            remote,
        } => {
            let call = Call::delete(format!("/apps/{app}"));
            done(
                &Client::new(&remote, Some(&acting), config)?,
                call,
                &format!("app {app} deleted"),
            )
            .await
        }
    }
}

pub async fn subscription(cmd: SubscriptionCmd, config: &Config) -> anyhow::Result<()> {
    match cmd {
        SubscriptionCmd::Create {
            url,
            event_types,
            disabled,
            settings,
            at,
            remote,
        } => {
            let mut body = Map::new();
            body.insert("url".into(), json!(url));
            body.insert("event_types".into(), json!(event_types));
            if disabled {
                body.insert("enabled".into(), json!(false));
            }
            settings.write_into(&mut body);
            let client = Client::new(&remote, Some(&at.acting), config)?;
            let call = Call::post(format!("/apps/{}/subscriptions", at.app), body.into());
            show(&client, call).await
        }
        SubscriptionCmd::List { at, paging, remote } => {
            let client = Client::new(&remote, Some(&at.acting), config)?;
            let call = Call::get(format!("/apps/{}/subscriptions", at.app));
            pages(&client, call, paging, SUBSCRIPTIONS).await
        }
        SubscriptionCmd::Get(one) => show(&one.client(config)?, Call::get(one.path(""))).await,
        SubscriptionCmd::Update {
            url,
            event_types,
            all_event_types,
            no_rate_limit,
            settings,
            one,
        } => {
            let mut body = Map::new();
            if let Some(url) = url {
                body.insert("url".into(), json!(url));
            }
            if all_event_types || !event_types.is_empty() {
                body.insert("event_types".into(), json!(event_types));
            }
            if no_rate_limit {
                body.insert("rate_limit".into(), Value::Null);
            }
            settings.write_into(&mut body);
            if body.is_empty() {
                anyhow::bail!(
                    "nothing to change: give at least one of the options (--help lists them)"
                );
            }
            show(&one.client(config)?, Call::patch(one.path(""), body.into())).await
        }
        SubscriptionCmd::Delete(one) => {
            let said = format!("subscription {} deleted", one.subscription);
            done(&one.client(config)?, Call::delete(one.path("")), &said).await
        }
        SubscriptionCmd::Enable(one) => {
            let call = Call::post(one.path("/enable"), json!({}));
            show(&one.client(config)?, call).await
        }
        SubscriptionCmd::Disable(one) => {
            let call = Call::post(one.path("/disable"), json!({}));
            show(&one.client(config)?, call).await
        }
        SubscriptionCmd::RotateSecret { secret, one } => {
            let call = Call::post(one.path("/rotate-secret"), json!({ "secret": secret }));
            show(&one.client(config)?, call).await
        }
        SubscriptionCmd::Secret(one) => {
            show(&one.client(config)?, Call::get(one.path("/secret"))).await
        }
        SubscriptionCmd::Test(one) => {
            let client = one.client(config)?;
            let call = Call::post(one.path("/test"), json!({}));
            published(&client, client.send(call).await?)
        }
    }
}

pub async fn event(cmd: EventCmd, config: &Config) -> anyhow::Result<()> {
    match cmd {
        EventCmd::Publish {
            event_type,
            payload,
            idempotency_key,
            at,
            remote,
        } => {
            let payload: Value =
                serde_json::from_str(&payload).context("--payload is not valid JSON")?;
            let client = Client::new(&remote, Some(&at.acting), config)?;
            let call = Call::post(
                format!("/apps/{}/events", at.app),
                json!({ "type": event_type, "payload": payload }),
            )
            .header("idempotency-key", idempotency_key);
            published(&client, client.send(call).await?)
        }
        EventCmd::List {
            event_type,
            type_prefix,
            after,
            before,
            at,
            paging,
            remote,
        } => {
            let client = Client::new(&remote, Some(&at.acting), config)?;
            let call = Call::get(format!("/apps/{}/events", at.app))
                .query("type", event_type)
                .query("type_prefix", type_prefix)
                .query("after", after)
                .query("before", before);
            pages(&client, call, paging, EVENTS).await
        }
        EventCmd::Get { event, at, remote } => {
            let call = Call::get(format!("/apps/{}/events/{event}", at.app));
            show(&Client::new(&remote, Some(&at.acting), config)?, call).await
        }
    }
}

pub async fn delivery(cmd: DeliveryCmd, config: &Config) -> anyhow::Result<()> {
    match cmd {
        DeliveryCmd::List {
            subscription,
            event,
            status,
            at,
            paging,
            remote,
        } => {
            let client = Client::new(&remote, Some(&at.acting), config)?;
            let call = match (subscription, event) {
                (Some(sub), _) => {
                    Call::get(format!("/apps/{}/subscriptions/{sub}/deliveries", at.app))
                        .query("status", status)
                }
                (None, Some(event)) => {
                    Call::get(format!("/apps/{}/events/{event}/deliveries", at.app))
                }
                (None, None) => unreachable!("clap requires --subscription or --event"),
            };
            pages(&client, call, paging, DELIVERIES).await
        }
        DeliveryCmd::Get {
            delivery,
            acting,
            remote,
        } => {
            let client = Client::new(&remote, Some(&acting), config)?;
            let detail = client
                .send(Call::get(format!("/deliveries/{delivery}")))
                .await?;
            // `request` is the whole rendered request: `--output json` shows it.
            print_with_list(&client, detail, "attempt_log", &["request"], ATTEMPTS)
        }
        DeliveryCmd::Retry {
            delivery,
            acting,
            remote,
        } => {
            let call = Call::post(format!("/deliveries/{delivery}/retry"), json!({}));
            show(&Client::new(&remote, Some(&acting), config)?, call).await
        }
    }
}

pub async fn replay(args: ReplayArgs, config: &Config) -> anyhow::Result<()> {
    let ReplayArgs {
        subscription,
        since,
        dry_run,
        at,
        remote,
    } = args;
    let client = Client::new(&remote, Some(&at.acting), config)?;
    let call = Call::post(
        format!("/apps/{}/subscriptions/{subscription}/replay", at.app),
        json!({ "since": since, "dry_run": dry_run }),
    );
    let answer = client.send(call).await?;
    if client.output == Output::Json {
        return print::emit(&print::json(&answer));
    }
    let (matching, requeued) = (&answer["matching"], &answer["requeued"]);
    print::emit(&if dry_run {
        format!("{matching} failed deliveries would be sent again (dry run: none was)\n")
    } else {
        format!("{requeued} of {matching} failed deliveries queued to be sent again\n")
    })
}

/// Sends `call` and prints the object it answers.
async fn show(client: &Client, call: Call) -> anyhow::Result<()> {
    let answer = client.send(call).await?;
    print::emit(&match client.output {
        Output::Json => print::json(&answer),
        Output::Table => print::fields(&answer),
    })
}

/// Sends `call`, which answers nothing, and says `said` (a table only; JSON prints nothing).
async fn done(client: &Client, call: Call, said: &str) -> anyhow::Result<()> {
    client.send(call).await?;
    match client.output {
        Output::Json => Ok(()),
        Output::Table => print::emit(&format!("{said}\n")),
    }
}

/// A published event: its fields, then its deliveries.
fn published(client: &Client, event: Value) -> anyhow::Result<()> {
    print_with_list(client, event, "deliveries", &[], DELIVERIES)
}

/// An object whose field `list` holds items: its other fields (but `hidden`), then a table of the items;
/// or, as JSON, the whole object.
fn print_with_list(
    client: &Client,
    mut value: Value,
    list: &str,
    hidden: &[&str],
    columns: &[Column],
) -> anyhow::Result<()> {
    if client.output == Output::Json {
        return print::emit(&print::json(&value));
    }
    let mut items = Vec::new();
    if let Some(map) = value.as_object_mut() {
        if let Some(Value::Array(list)) = map.remove(list) {
            items = list;
        }
        for name in hidden {
            map.remove(*name);
        }
    }
    let mut text = print::fields(&value);
    text.push('\n');
    text.push_str(&print::table(columns, &items));
    print::emit(&text)
}

/// Prints one page of a list (its `next_cursor` on stderr for a table), or with `--all` every page.
async fn pages(
    client: &Client,
    call: Call,
    paging: Paging,
    columns: &[Column],
) -> anyhow::Result<()> {
    let call = call.query("limit", paging.limit);
    let (items, next) = if paging.all {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = client
                .send(call.clone().query("cursor", cursor.take()))
                .await?;
            items.extend(page["data"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        (items, None)
    } else {
        let page = client.send(call.query("cursor", paging.cursor)).await?;
        let items = page["data"].as_array().cloned().unwrap_or_default();
        (items, page["next_cursor"].as_str().map(str::to_owned))
    };
    match client.output {
        Output::Json => print::emit(&print::json(&json!({ "data": items, "next_cursor": next }))),
        Output::Table => {
            print::emit(&print::table(columns, &items))?;
            if let Some(next) = next {
                eprintln!("more: --cursor {next} (or --all)");
            }
            Ok(())
        }
    }
}
