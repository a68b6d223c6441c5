//! Test harness: a hookd server built in-process on port 0 over a fresh database (a SQLite file in a temp
//! directory, or a new PostgreSQL database per test), a real HTTP receiver on 127.0.0.1:0 that records raw
//! bytes and headers (`receiver.rs`), the real binary as a child process (`child.rs`), and small request
//! helpers.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::http::{HeaderMap, StatusCode};
use hookd::{config::Redacted, Application, Config};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::Connection;

mod child;
mod receiver;

pub use child::*;
pub use receiver::*;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef";
pub const MASTER_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(TestApp)` once per backend, as `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await {
                    super::$name(app).await
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                    super::$name(app).await
                }
            }
        }
    )*};
}

/// Like `both_backends!`, with the configuration changed first by `adjust`, a `fn(&mut Config)` beside the tests.
#[macro_export]
macro_rules! both_backends_with {
    ($adjust:ident => $($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::helpers::spawn_app_with($crate::helpers::Backend::Sqlite, super::$adjust).await {
                    super::$name(app).await
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn_app_with($crate::helpers::Backend::Postgres, super::$adjust).await {
                    super::$name(app).await
                }
            }
        }
    )*};
}

/// A fresh PostgreSQL database, dropped with the value.
pub struct PgDatabase {
    pub admin_url: String,
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    /// `None` (with a notice) when `HOOKD_TEST_DATABASE_URL` is unset; under CI that is a failure.
    pub async fn create() -> Option<Self> {
        Self::create_with("").await
    }

    /// `create` with `options` added to `CREATE DATABASE` (e.g. ` TABLESPACE t`).
    pub async fn create_with(options: &str) -> Option<Self> {
        let Ok(admin_url) = std::env::var("HOOKD_TEST_DATABASE_URL") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "HOOKD_TEST_DATABASE_URL must be set in CI: PostgreSQL tests may not be skipped"
            );
            eprintln!("SKIPPED: PostgreSQL test — set HOOKD_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)");
            return None;
        };
        let name = format!(
            "hookd_test_{}",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!("PostgreSQL at HOOKD_TEST_DATABASE_URL is not reachable: {e}")
            });
        sqlx::query(&format!("CREATE DATABASE {name}{options}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let mut url = url::Url::parse(&admin_url).expect("HOOKD_TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        Some(Self {
            admin_url,
            url: url.to_string(),
            name,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        admin_sql(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// Runs `sql` on PostgreSQL at `admin_url`, on a thread of its own (callable from a `Drop` in an async
/// test); errors are ignored (clean-up).
pub fn admin_sql(admin_url: &str, sql: &str) {
    let (admin_url, sql) = (admin_url.to_owned(), sql.to_owned());
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&admin_url).await?;
            sqlx::query(&sql).execute(&mut conn).await?;
            Ok::<_, sqlx::Error>(())
        })
        .map_err(std::io::Error::other)
    })
    .join();
}

/// Where a test's data lives; kept alive as long as the server.
pub struct Storage {
    pub dir: tempfile::TempDir,
    pub pg: Option<PgDatabase>,
}

impl Storage {
    pub async fn new(backend: Backend) -> Option<Self> {
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgDatabase::create().await?),
        };
        Some(Self {
            dir: tempfile::tempdir().expect("temp dir"),
            pg,
        })
    }

    pub fn database_url(&self) -> String {
        match &self.pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", self.dir.path().join("hookd.db").display()),
        }
    }

    /// The configuration tests run with: port 0, loopback targets allowed, fast polling.
    pub fn config(&self) -> Config {
        let mut c = Config {
            listen: "127.0.0.1:0".parse().expect("address"),
            data_dir: self.dir.path().to_path_buf(),
            database_url: Some(self.database_url()),
            admin_token: Some(Redacted(ADMIN_TOKEN.into())),
            master_key: Some(Redacted(MASTER_KEY.into())),
            allowed_targets: vec!["127.0.0.0/8".parse().expect("cidr")],
            max_body_bytes: 64 * 1024,
            ..Config::default()
        };
        c.delivery.poll_interval_ms = 100;
        c.delivery.timeout_ms = 2_000;
        c
    }
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    dispatcher: hookd::delivery::Dispatcher,
    _storage: Storage,
}

/// The ids of a list answer's `data`, in order.
pub fn data_ids(list: &Value) -> Vec<&str> {
    list["data"]
        .as_array()
        .expect("a list answer")
        .iter()
        .map(|item| item["id"].as_str().expect("an id"))
        .collect()
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<TestApp> {
    init_test_log();
    let storage = Storage::new(backend).await?;
    let mut config = storage.config();
    adjust(&mut config);
    let app = Application::build(config).await.expect("server builds");
    let addr = app.local_addr();
    let dispatcher = app.dispatcher();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    Some(TestApp {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        stop: Some(stop),
        server: Some(server),
        dispatcher,
        _storage: storage,
    })
}

/// Tests that measure timing run apart from the load-heavy ones (10 000-event runs, servers killed and
/// restarted): heavy tests share this lock, timing tests hold it alone.
pub static LOAD: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// With `TEST_LOG` set (a `RUST_LOG`-style filter), the in-process servers log to the test output.
fn init_test_log() {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            // Let the server release its pool before the database is dropped.
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(async {
                    let abort = server.abort_handle();
                    if tokio::time::timeout(Duration::from_secs(15), server)
                        .await
                        .is_err()
                    {
                        abort.abort();
                    }
                })
            });
        }
    }
}

/// A response as tests look at it.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    /// The envelope's error code.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts the error envelope: status, code, a message and the request id echoed in the header.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(self.code(), code, "unexpected code; body: {}", self.text);
        assert!(
            !self.message().is_empty(),
            "error without message: {}",
            self.text
        );
        let header_id = self
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(!header_id.is_empty(), "no X-Request-Id");
        assert_eq!(
            self.body["error"]["request_id"], header_id,
            "request id mismatch: {}",
            self.text
        );
        self
    }

    pub fn str(&self, field: &str) -> String {
        self.body[field]
            .as_str()
            .unwrap_or_else(|| panic!("no string `{field}` in {}", self.text))
            .to_owned()
    }
}

/// The credentials of one tenant.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub account_id: String,
    pub token: String,
}

impl TestApp {
    /// Lets the dispatcher attempt everything due now and waits until those attempts, and any others in
    /// flight, are answered and recorded (`Dispatcher::tick`): what a test means by "give it time to send".
    pub async fn tick(&self) -> usize {
        self.dispatcher.tick().await
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await.expect("request reaches the server");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.send(Method::GET, path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.send(Method::POST, path, Some(token), Some(&body), &[])
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.send(Method::PATCH, path, Some(token), Some(&body), &[])
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.send(Method::DELETE, path, Some(token), None, &[])
            .await
    }

    /// A new account with a key allowed everything.
    /// Runs one statement on the server's database: for states the API cannot make on purpose (a session
    /// past its expiry without waiting for it).
    pub async fn execute_sql(&self, statement: &str) {
        use sqlx::Connection;
        let url = self._storage.database_url();
        if url.starts_with("sqlite:") {
            let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query(statement).execute(&mut db).await.unwrap();
        } else {
            let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query(statement).execute(&mut db).await.unwrap();
        }
    }

    /// The one integer a query over the server's database answers (a `COUNT(*)`): for what the API does
    /// not show, such as which table holds an attempt.
    pub async fn query_i64(&self, statement: &str) -> i64 {
        use sqlx::Connection;
        let url = self._storage.database_url();
        if url.starts_with("sqlite:") {
            let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query_scalar(statement)
                .fetch_one(&mut db)
                .await
                .unwrap()
        } else {
            let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query_scalar(statement)
                .fetch_one(&mut db)
                .await
                .unwrap()
        }
    }

    pub async fn tenant(&self) -> Tenant {
        self.tenant_with(json!({ "name": "tenant" }), &["*"]).await
    }

    pub async fn tenant_with(&self, account: Value, policy: &[&str]) -> Tenant {
        let account_id = self
            .post("/api/v1/accounts", ADMIN_TOKEN, account)
            .await
            .expect(201)
            .str("id");
        let token = self.key(&account_id, policy).await.str("token");
        Tenant { account_id, token }
    }

    /// A new access key of `account_id` with `policy`, made by the admin: the creation response (201).
    pub async fn key(&self, account_id: &str, policy: &[&str]) -> Resp {
        self.post(
            &format!("/api/v1/accounts/{account_id}/keys"),
            ADMIN_TOKEN,
            json!({ "policy": policy }),
        )
        .await
        .expect(201)
    }

    /// An app `shop` and a subscription to `url`; returns (subscription id, secret).
    /// Makes app `shop` with one subscription of `body` (201 expected); returns the creation response.
    pub async fn shop_with(&self, t: &Tenant, body: Value) -> Resp {
        self.post("/api/v1/apps", &t.token, json!({ "id": "shop" }))
            .await
            .expect(201);
        self.post("/api/v1/apps/shop/subscriptions", &t.token, body)
            .await
            .expect(201)
    }

    pub async fn app_with_subscription(&self, t: &Tenant, url: &str) -> (String, String) {
        let sub = self.shop_with(t, json!({ "url": url })).await;
        (sub.str("id"), sub.str("secret"))
    }

    /// Publishes a `t` event with an empty payload to `shop`; returns the first delivery's id.
    pub async fn publish_to_shop(&self, t: &Tenant) -> String {
        let published = self
            .post(
                "/api/v1/apps/shop/events",
                &t.token,
                json!({ "type": "t", "payload": {} }),
            )
            .await
            .expect(201);
        published.body["deliveries"][0]["id"]
            .as_str()
            .expect("a delivery")
            .to_owned()
    }

    /// Polls a delivery until `done` holds (at most `timeout`); returns its last state.
    pub async fn wait_delivery(
        &self,
        t: &Tenant,
        id: &str,
        timeout: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let d = self
                .get(&format!("/api/v1/deliveries/{id}"), &t.token)
                .await
                .expect(200)
                .body;
            if done(&d) || Instant::now() > deadline {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Publishes events to `shop` from four clients at a steady pace (about 300 a second) and, once a quarter
/// of `count` are acknowledged, awaits `midway` (a broker restart, say) while the clients go on publishing;
/// stops once `count` events and another quarter after `midway` ended are acknowledged. Returns each
/// event's (event id, delivery id) with what `midway` returned.
pub async fn publish_through<R>(
    app: &Arc<TestApp>,
    token: &str,
    count: usize,
    midway: impl std::future::Future<Output = R>,
) -> (Vec<(String, String)>, R) {
    const CLIENTS: usize = 4;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (app, token, acked, stop) =
            (app.clone(), token.to_owned(), acked.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            for n in (c..).step_by(CLIENTS) {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                let r = app
                    .post(
                        "/api/v1/apps/shop/events",
                        &token,
                        json!({ "type": "t", "payload": { "n": n } }),
                    )
                    .await
                    .expect(201);
                let delivery = r.body["deliveries"][0]["id"]
                    .as_str()
                    .expect("a delivery")
                    .to_owned();
                acked.lock().expect("lock").push((r.str("id"), delivery));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }));
    }
    let acked_at_least = |n: usize| {
        let acked = acked.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            while acked.lock().expect("lock").len() < n {
                assert!(Instant::now() < deadline, "publishing stalled");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    acked_at_least(count / 4).await;
    let midway = midway.await;
    let after = acked.lock().expect("lock").len() + count / 4;
    acked_at_least(after.max(count)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for client in clients {
        client.await.expect("publisher");
    }
    let acked = acked.lock().expect("lock").clone();
    (acked, midway)
}

/// How many of `deliveries` succeeded after a failed attempt: their attempt log (`GET
/// /api/v1/deliveries/{id}`) holds an attempt with an error, then a last attempt without one.
pub async fn retried_deliveries(app: &TestApp, token: &str, deliveries: &[String]) -> usize {
    use futures_util::StreamExt;
    futures_util::stream::iter(deliveries)
        .map(|id| async move {
            let d = app
                .get(&format!("/api/v1/deliveries/{id}"), token)
                .await
                .expect(200)
                .body;
            let log = d["attempt_log"].as_array().cloned().unwrap_or_default();
            let failed_then = log.iter().rev().skip(1).any(|a| !a["error"].is_null());
            let last_ok = log.last().is_some_and(|a| a["error"].is_null());
            d["status"] == "succeeded" && failed_then && last_ok
        })
        .buffer_unordered(16)
        .filter(|retried| std::future::ready(*retried))
        .count()
        .await
}
