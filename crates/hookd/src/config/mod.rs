//! The one typed configuration: defaults, then an optional TOML file, then `HOOKD_*` environment variables
//! (nested keys with `__`, e.g. `HOOKD_DELIVERY__CONCURRENCY`). Validated once at start.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{bail, Context};
use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port of the API listener (`HOOKD_LISTEN`).
    pub listen: SocketAddr,
    /// Where the embedded database, generated admin token and master key live.
    pub data_dir: PathBuf,
    /// `sqlite://path` or `postgres://…`; default `sqlite://<data_dir>/hookd.db`.
    pub database_url: Option<String>,
    /// Bearer token of the operator. Generated into the data directory when unset.
    pub admin_token: Option<Redacted>,
    /// 32-byte key (64 hex digits or base64) sealing secrets at rest. Generated when unset.
    pub master_key: Option<Redacted>,
    /// Files holding the admin token and the master key (`HOOKD_ADMIN_TOKEN_FILE`,
    /// `HOOKD_MASTER_KEY_FILE`), as container secrets are mounted; surrounding white space is dropped.
    /// Each may be set instead of its value, not with it.
    pub admin_token_file: Option<PathBuf>,
    pub master_key_file: Option<PathBuf>,
    /// A file holding `database_url` (`HOOKD_DATABASE_URL_FILE`), for a URL with a password in it.
    pub database_url_file: Option<PathBuf>,
    /// Networks exempt from the SSRF guard, e.g. `127.0.0.0/8` (comma-separated in the environment).
    #[serde(deserialize_with = "comma_list")]
    pub allowed_targets: Vec<IpNet>,
    /// PEM certificate chain and private key: when both are set the listener serves HTTPS only.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Per-account request rates of dialect actions (`"cams:UpdateAccountWebhook" = 10`), overriding the
    /// vendor defaults; 0 removes a limit.
    pub dialect_rate_limits: std::collections::BTreeMap<String, u32>,
    /// Largest request body the API accepts.
    pub max_body_bytes: usize,
    /// Native API requests one account may have in progress on one node; more are refused with 429.
    pub account_concurrency: usize,
    /// Native API requests per second one account may make on one node (0: no limit); more are refused
    /// with 429 and `Retry-After`.
    pub account_rate_limit: u32,
    /// Longest time one API request may take, reading its body included; then 408.
    pub request_timeout_ms: u64,
    /// SQLite `synchronous` setting: `full` (fsync on every commit, the default) or `normal`
    /// (WAL: survives process crashes, may lose the last commits on power loss).
    pub sqlite_synchronous: SqliteSync,
    /// Connections to PostgreSQL.
    pub database_max_connections: u32,
    /// How long start-up keeps trying to reach PostgreSQL (with backoff, each failure logged) before it
    /// gives up and exits non-zero (`HOOKD_DATABASE_CONNECT_TIMEOUT_MS`).
    pub database_connect_timeout_ms: u64,
    /// PostgreSQL's `statement_timeout` for hookd's statements (migrations excepted); 0 leaves none.
    pub database_statement_timeout_ms: u64,
    /// `text` or `json` logs.
    pub log_format: LogFormat,
    /// Base URL of an OpenTelemetry collector's OTLP/HTTP receiver (`HOOKD_OTLP_ENDPOINT`, e.g.
    /// `http://127.0.0.1:4318`): spans are sent to `<endpoint>/v1/traces`. Unset: no traces.
    pub otlp_endpoint: Option<String>,
    /// The address people reach this server at (`HOOKD_PUBLIC_URL`, e.g. `https://hooks.example.com`),
    /// used in the customer-portal links it hands out. Unset: the address the request came to.
    pub public_url: Option<String>,
    pub delivery: DeliveryConfig,
    /// On SIGTERM or SIGINT: how long attempts in flight may finish before they are abandoned and their
    /// deliveries returned to the queue (`HOOKD_SHUTDOWN_GRACE_MS`).
    pub shutdown_grace_ms: u64,
    /// How long event payloads and attempt logs are kept once their deliveries are finished
    /// (`HOOKD_RETENTION_MS`); events, deliveries and their counts stay. 0 keeps everything.
    pub retention_ms: u64,
    /// Where CAMS receipts of accounts that set `QueueFlag=Y` go (`HOOKD_CAMS_QUEUE`): a queue destination
    /// such as `nats://127.0.0.1:4222/hookd.cams`. The operator's own broker: the SSRF guard does not apply.
    pub cams_queue: Option<String>,
    /// `HOOKD_*` environment variables that name no setting, ignored (`Config::load` fills it; the
    /// server warns about each).
    #[serde(skip)]
    pub ignored_env: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryConfig {
    /// Attempts in flight at once, across all subscriptions.
    pub concurrency: usize,
    /// Attempts in flight at once for one subscription, so a slow receiver cannot take every slot.
    pub subscription_concurrency: usize,
    /// Fresh deliveries that may wait in memory for a slot. Publishing waits (up to 2 s) while half of
    /// them are taken, until a quarter are, so that publishers slow to the pace deliveries go out.
    pub memory_queue: usize,
    /// Deliveries due and waiting in the store (across every process on the database) from which
    /// publishing is refused with 503 and `Retry-After`, until fewer than nine tenths of it wait: the
    /// bound on a backlog that builds when delivery falls behind publishing for long.
    pub max_backlog: u64,
    /// Whole-request timeout of one attempt.
    pub timeout_ms: u64,
    pub connect_timeout_ms: u64,
    /// How often due retries and expired leases are looked for when nothing wakes the dispatcher.
    pub poll_interval_ms: u64,
    /// Bytes of the receiver's response kept with each attempt.
    pub response_excerpt_bytes: usize,
    /// A PEM bundle of extra CA certificates receivers' TLS certificates may chain to (private CAs).
    pub ca_certs: Option<PathBuf>,
    /// How long, beyond `timeout_ms`, a lease outlives its attempt before another dispatcher may take the
    /// delivery over (time to record the outcome). Also how long deliveries of a crashed PostgreSQL node wait.
    pub lease_margin_ms: u64,
    /// The longest `Retry-After` (on 429 and 503) honoured; a longer one waits this long instead.
    pub max_retry_after_ms: u64,
    /// How long a rotated-out signing secret keeps signing beside the new one.
    pub rotation_grace_ms: u64,
    /// A subscription whose every attempt has failed for this long, with at least `lock_min_dead`
    /// deliveries dead meanwhile, is locked (`subscription.locked` goes to the account's `ops` app).
    pub lock_after_ms: u64,
    pub lock_min_dead: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSync {
    Full,
    Normal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("hookd-data"),
            database_url: None,
            admin_token: None,
            master_key: None,
            admin_token_file: None,
            master_key_file: None,
            database_url_file: None,
            allowed_targets: Vec::new(),
            dialect_rate_limits: Default::default(),
            tls_cert: None,
            tls_key: None,
            max_body_bytes: 1024 * 1024,
            account_concurrency: 128,
            account_rate_limit: 0,
            request_timeout_ms: 30_000,
            sqlite_synchronous: SqliteSync::Full,
            database_max_connections: 16,
            database_connect_timeout_ms: 60_000,
            database_statement_timeout_ms: 30_000,
            log_format: LogFormat::Text,
            otlp_endpoint: None,
            public_url: None,
            delivery: DeliveryConfig::default(),
            retention_ms: 30 * 24 * 3_600_000,
            shutdown_grace_ms: 10_000,
            cams_queue: None,
            ignored_env: Vec::new(),
        }
    }
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            concurrency: 1024,
            subscription_concurrency: 64,
            memory_queue: 16_384,
            max_backlog: 1_000_000,
            timeout_ms: 15_000,
            connect_timeout_ms: 5_000,
            poll_interval_ms: 1_000,
            response_excerpt_bytes: 4096,
            lease_margin_ms: 30_000,
            max_retry_after_ms: 3_600_000,
            rotation_grace_ms: 24 * 3_600_000,
            lock_after_ms: 5 * 24 * 3_600_000,
            lock_min_dead: 10,
            ca_certs: None,
        }
    }
}

impl DeliveryConfig {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

impl Config {
    /// Defaults, then the TOML file (if given), then `HOOKD_*` variables. A variable that names no
    /// setting is ignored and listed in `ignored_env` (a platform may set its own: Kubernetes sets
    /// `HOOKD_PORT`, `HOOKD_SERVICE_HOST`, … in every pod beside a Service named `hookd`); a setting's
    /// variable with a bad value is an error naming it.
    pub fn load(file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                bail!("config file {} does not exist", path.display());
            }
            figment = figment.merge(Toml::file(path));
        }
        let known = KnownEnv::new();
        let settings = known.clone();
        let mut config: Config = figment
            .merge(
                Env::prefixed(ENV_PREFIX)
                    .filter(move |key| settings.is_setting(key.as_str()))
                    .split("__"),
            )
            .extract()
            .map_err(describe)?;
        config.ignored_env = std::env::vars_os()
            .filter_map(|(name, _)| name.into_string().ok())
            .filter(|name| known.is_ignored(name))
            .collect();
        config.ignored_env.sort();
        config.read_secret_files()?;
        config.validate()?;
        Ok(config)
    }

    /// Logs a warning for each ignored `HOOKD_*` variable.
    pub fn warn_ignored_env(&self) {
        for name in &self.ignored_env {
            tracing::warn!(
                variable = %name,
                "ignoring the environment variable {name}: hookd has no setting of that name"
            );
        }
    }

    /// Reads `admin_token_file`, `master_key_file` and `database_url_file` into their values.
    fn read_secret_files(&mut self) -> anyhow::Result<()> {
        let given = self.admin_token.is_some();
        if let Some(text) = read_secret_file("admin_token", &self.admin_token_file, given)? {
            self.admin_token = Some(Redacted(text));
        }
        let given = self.master_key.is_some();
        if let Some(text) = read_secret_file("master_key", &self.master_key_file, given)? {
            self.master_key = Some(Redacted(text));
        }
        let given = self.database_url.is_some();
        if let Some(text) = read_secret_file("database_url", &self.database_url_file, given)? {
            self.database_url = Some(text);
        }
        Ok(())
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if self.max_body_bytes < 1024 {
            bail!("max_body_bytes must be at least 1024");
        }
        if self.account_concurrency == 0 {
            bail!("account_concurrency must be at least 1");
        }
        if self.request_timeout_ms < 100 {
            bail!("request_timeout_ms must be at least 100");
        }
        if let Some(queue) = &self.cams_queue {
            let url = crate::domain::CallbackUrl::parse(queue)
                .map_err(|e| anyhow::anyhow!("cams_queue: {}", e.message))?;
            if url.destination() == crate::domain::Destination::Http {
                bail!("cams_queue must be a queue destination (redis://, nats:// or amqp://)");
            }
        }
        let d = &self.delivery;
        if d.subscription_concurrency == 0 {
            bail!("delivery.subscription_concurrency must be at least 1");
        }
        if d.concurrency == 0 || d.concurrency > 100_000 {
            bail!("delivery.concurrency must be between 1 and 100000");
        }
        if d.memory_queue == 0 || d.memory_queue > 1_000_000 {
            bail!("delivery.memory_queue must be between 1 and 1000000");
        }
        if d.max_backlog == 0 || d.max_backlog > 1_000_000_000 {
            bail!("delivery.max_backlog must be between 1 and 1000000000");
        }
        if d.timeout_ms < 100 || d.connect_timeout_ms < 100 {
            bail!("delivery.timeout_ms and delivery.connect_timeout_ms must be at least 100");
        }
        if d.poll_interval_ms == 0 {
            bail!("delivery.poll_interval_ms must be positive");
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            bail!("tls_cert and tls_key must be set together");
        }
        if self.database_connect_timeout_ms > 3_600_000 {
            bail!("database_connect_timeout_ms must be at most 3600000 (an hour)");
        }
        if let Some(endpoint) = &self.otlp_endpoint {
            check_otlp_endpoint(endpoint)?;
        }
        if let Some(url) = &self.public_url {
            match url::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https")
                    && u.host().is_some()
                    && u.query().is_none()
                    && u.fragment().is_none() => {}
                _ => bail!("public_url must be an http:// or https:// URL without query or fragment, e.g. https://hooks.example.com"),
            }
        }
        if let Some(url) = &self.database_url {
            if !(url.starts_with("sqlite:")
                || url.starts_with("postgres:")
                || url.starts_with("postgresql:"))
            {
                bail!("database_url must start with sqlite:// or postgres://");
            }
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("hookd.db").display()))
    }

    /// The configuration as TOML with secrets redacted, for `hookd config`.
    pub fn to_redacted_toml(&self) -> anyhow::Result<String> {
        let mut shown = self.clone();
        shown.database_url = Some(crate::domain::url::redact(&self.database_url()));
        shown.cams_queue = self.cams_queue.as_deref().map(crate::domain::url::redact);
        shown.otlp_endpoint = self
            .otlp_endpoint
            .as_deref()
            .map(crate::domain::url::redact);
        toml_string(&shown)
    }
}

const ENV_PREFIX: &str = "HOOKD_";

/// The secret in `file` for the setting `name`, when `file` is set; an error when the value is `given`
/// too, or the file cannot be read or is empty.
fn read_secret_file(
    name: &str,
    file: &Option<PathBuf>,
    given: bool,
) -> anyhow::Result<Option<String>> {
    let Some(path) = file else { return Ok(None) };
    if given {
        bail!("{name} and {name}_file are both set; set one");
    }
    crate::crypto::read_secret(path)
        .with_context(|| format!("{name}_file"))
        .map(Some)
}

/// figment's errors, each naming what to fix: a setting given by a variable is named by that variable
/// (`HOOKD_DELIVERY__CONCURRENCY`), one from the file by its key and the file.
fn describe(error: figment::Error) -> anyhow::Error {
    let lines: Vec<String> = error
        .into_iter()
        .map(|e| match &e.metadata {
            Some(md) if md.name.ends_with("environment variable(s)") && !e.path.is_empty() => {
                let key = e.path.join("__").to_ascii_uppercase();
                format!("{ENV_PREFIX}{key}: {}", e.kind)
            }
            _ => e.to_string(),
        })
        .collect();
    anyhow::anyhow!("invalid configuration: {}", lines.join("; "))
}

/// Variables with the `HOOKD_` prefix that are read elsewhere, not settings: the config file's path, the
/// CLI's server URL, the test suite's and the benchmark's databases.
const READ_ELSEWHERE: [&str; 4] = [
    "config",
    "server",
    "test_database_url",
    "bench_database_url",
];

/// Which `HOOKD_*` names are settings, known from the settings themselves (the defaults as JSON), so
/// that a new setting needs no list kept beside it.
#[derive(Clone)]
struct KnownEnv {
    defaults: serde_json::Map<String, serde_json::Value>,
}

impl KnownEnv {
    fn new() -> Self {
        let defaults = match serde_json::to_value(Config::default()) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        Self { defaults }
    }

    /// Whether `key` (a variable's name without the prefix, `__` between nested keys) names a setting:
    /// a field, a field of a nested table (`delivery__timeout_ms`), or any entry of a map
    /// (`dialect_rate_limits__…`).
    fn is_setting(&self, key: &str) -> bool {
        let key = key.to_ascii_lowercase();
        let mut parts = key.split("__");
        let Some(value) = parts.next().and_then(|top| self.defaults.get(top)) else {
            return false;
        };
        match (parts.next(), parts.next()) {
            (None, _) => true,
            (Some(_), Some(_)) => false,
            (Some(field), None) => match value.as_object() {
                // An empty table in the defaults is a map: any entry may be set.
                Some(table) => table.is_empty() || table.contains_key(field),
                None => false,
            },
        }
    }

    /// Whether the variable `name` has the prefix (in any case, as the settings are read) and names
    /// neither a setting nor a variable read elsewhere.
    fn is_ignored(&self, name: &str) -> bool {
        let Some(prefix) = name.get(..ENV_PREFIX.len()) else {
            return false;
        };
        if !prefix.eq_ignore_ascii_case(ENV_PREFIX) {
            return false;
        }
        let key = name[ENV_PREFIX.len()..].to_ascii_lowercase();
        !READ_ELSEWHERE.contains(&key.as_str()) && !self.is_setting(&key)
    }
}

/// An OTLP/HTTP endpoint is an `http` or `https` URL with a host.
fn check_otlp_endpoint(endpoint: &str) -> anyhow::Result<()> {
    match url::Url::parse(endpoint) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => bail!("otlp_endpoint must be an http:// or https:// URL, e.g. http://127.0.0.1:4318"),
    }
}

fn toml_string(config: &Config) -> anyhow::Result<String> {
    // figment re-exports no TOML serializer; serde_json → toml-compatible text by hand would be lossy,
    // so render the flat view as `key = value` lines from the JSON form.
    let value = serde_json::to_value(config)?;
    let mut out = String::new();
    render_table(&value, "", &mut out);
    Ok(out)
}

fn render_table(value: &serde_json::Value, prefix: &str, out: &mut String) {
    let Some(map) = value.as_object() else { return };
    for (k, v) in map.iter().filter(|(_, v)| !v.is_object()) {
        if !v.is_null() {
            out.push_str(&format!("{k} = {v}\n"));
        }
    }
    for (k, v) in map.iter().filter(|(_, v)| v.is_object()) {
        let name = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        out.push_str(&format!("\n[{name}]\n"));
        render_table(v, &name, out);
    }
}

/// A secret configuration value: usable in code, never printed.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Redacted(pub String);

impl Serialize for Redacted {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Accepts a list or one comma-separated string (as environment variables give it).
fn comma_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpNet>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        One(String),
        Many(Vec<String>),
    }
    let items = match Raw::deserialize(d)? {
        Raw::One(s) => s.split(',').map(str::to_owned).collect(),
        Raw::Many(v) => v,
    };
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!("allowed_targets: `{s}` is not a CIDR"))
                })
        })
        .collect()
}

#[cfg(test)]
mod tests;
