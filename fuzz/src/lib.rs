//! What the fuzz targets share: one hookd server per fuzzing process, built in-process on an embedded
//! database in a temporary directory and driven through its router (no socket), with one account that owns
//! an app, a subscription, an event and a delivery, so that fuzzed requests can reach real resources.

use std::sync::OnceLock;

use axum::{body::Body, http::Request, Router};
use tower::ServiceExt;

pub const ADMIN_TOKEN: &str = "fuzz-admin-token-0123456789abcdef";
const MASTER_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

pub struct Harness {
    pub runtime: tokio::runtime::Runtime,
    pub router: Router,
    /// The account's access key: `key_id`, `secret` and the bearer token `key_id:secret`.
    pub key_id: String,
    pub secret: String,
    pub token: String,
    pub account: String,
    /// Ids of the account's resources, by path parameter name.
    pub ids: Vec<(&'static str, String)>,
    _dir: tempfile::TempDir,
}

/// An answer: status and body.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Harness {
    /// The process's harness, built on first use.
    pub fn get() -> &'static Harness {
        static HARNESS: OnceLock<Harness> = OnceLock::new();
        HARNESS.get_or_init(Harness::build)
    }

    fn build() -> Harness {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = hookd::Config {
            listen: "127.0.0.1:0".parse().expect("address"),
            data_dir: dir.path().to_path_buf(),
            admin_token: Some(hookd::config::Redacted(ADMIN_TOKEN.into())),
            master_key: Some(hookd::config::Redacted(MASTER_KEY.into())),
            sqlite_synchronous: hookd::config::SqliteSync::Normal,
            max_body_bytes: 64 * 1024,
            ..hookd::Config::default()
        };
        // Callbacks go to an address nothing answers on: give up fast.
        config.delivery.timeout_ms = 500;
        // No dialect rate limits: fuzzed calls should reach the actions, not the throttle.
        config.dialect_rate_limits = hookd::dialects::limits::DEFAULT_RATES
            .iter()
            .map(|(action, _)| (action.to_string(), 0))
            .collect();
        config.delivery.connect_timeout_ms = 100;
        let router = runtime.block_on(async {
            hookd::Application::build(config)
                .await
                .expect("hookd builds")
                .router()
        });
        let mut harness = Harness {
            runtime,
            router,
            key_id: String::new(),
            secret: String::new(),
            token: String::new(),
            account: String::new(),
            ids: Vec::new(),
            _dir: dir,
        };
        let json = |a: &Answer| -> serde_json::Value {
            serde_json::from_slice(&a.body).expect("a JSON answer")
        };
        let account = harness.call(
            "POST",
            "/api/v1/accounts",
            ADMIN_TOKEN,
            &[],
            br#"{"name":"fuzz"}"#,
        );
        let account = json(&account)["id"]
            .as_str()
            .expect("account id")
            .to_owned();
        let key = harness.call(
            "POST",
            &format!("/api/v1/accounts/{account}/keys"),
            ADMIN_TOKEN,
            &[],
            br#"{"policy":["*"]}"#,
        );
        let key = json(&key);
        harness.key_id = key["key_id"].as_str().expect("key id").to_owned();
        harness.secret = key["secret"].as_str().expect("secret").to_owned();
        harness.token = key["token"].as_str().expect("token").to_owned();
        let token = harness.token.clone();
        harness.call("POST", "/api/v1/apps", &token, &[], br#"{"id":"shop"}"#);
        let sub = harness.call(
            "POST",
            "/api/v1/apps/shop/subscriptions",
            &token,
            &[],
            br#"{"url":"http://203.0.114.1/hook","retry":[60]}"#,
        );
        let sub = json(&sub)["id"]
            .as_str()
            .expect("subscription id")
            .to_owned();
        let event = harness.call(
            "POST",
            "/api/v1/apps/shop/events",
            &token,
            &[],
            br#"{"type":"t","payload":{}}"#,
        );
        let event = json(&event);
        harness.ids = vec![
            ("{account}", account.clone()),
            ("{key}", harness.key_id.clone()),
            ("{app}", "shop".into()),
            ("{sub}", sub),
            (
                "{event}",
                event["id"].as_str().expect("event id").to_owned(),
            ),
            (
                "{delivery}",
                event["deliveries"][0]["id"]
                    .as_str()
                    .expect("delivery id")
                    .to_owned(),
            ),
        ];
        harness.account = account;
        harness
    }

    /// Sends one request through the router and waits for the whole answer.
    pub fn call(
        &self,
        method: &str,
        uri: &str,
        token: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        if !token.is_empty() {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let has_content_type = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        if !has_content_type && !body.is_empty() {
            request = request.header("content-type", "application/json");
        }
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        // Inputs the HTTP layer itself would refuse (bad method, URI or header) never reach hookd.
        let Ok(request) = request.body(Body::from(body.to_vec())) else {
            return Answer {
                status: 400,
                body: Vec::new(),
            };
        };
        self.runtime.block_on(async {
            let response = self
                .router
                .clone()
                .oneshot(request)
                .await
                .expect("infallible");
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            Answer { status, body }
        })
    }

    /// `template` with the account's ids in its path parameters.
    pub fn fill(&self, template: &str) -> String {
        self.ids
            .iter()
            .fold(template.to_owned(), |path, (param, id)| {
                path.replace(param, id)
            })
    }
}

/// The oracle every API target shares: whatever the input, hookd answers, and never with an internal
/// error (a 5xx other than 503, which means storage trouble).
pub fn assert_no_internal_error(what: &str, answer: &Answer) {
    assert!(
        answer.status < 500 || answer.status == 503,
        "{what} answered {}: {}",
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
}
