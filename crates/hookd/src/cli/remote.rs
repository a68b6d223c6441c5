//! How the admin commands reach a running server: its address, the token they present, the account they
//! act in, and one request at a time with the server's error envelope turned into a readable error.

use anyhow::{bail, Context};
use clap::Args;
use serde_json::Value;

use super::print::Output;
use crate::{app::ServerSecrets, config::Config};

// Flattened into every command that calls the API. (No doc comment here: clap would take it as the
// `about` of every command without one of its own.)
#[derive(Debug, Args)]
pub struct Remote {
    /// Base URL of the hookd server [default: http://<listen> of the configuration]
    #[arg(long, env = "HOOKD_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// An access key (`key_id:secret`) or the admin token [default: the admin token of the local
    /// configuration or data directory]
    #[arg(
        long,
        env = "HOOKD_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// Print answers as a table, or as the server's JSON (for scripts)
    #[arg(long, short = 'o', value_enum, env = "HOOKD_OUTPUT", default_value_t = Output::Table)]
    pub output: Output,
}

impl Remote {
    /// The server's base URL, without a trailing `/`.
    pub fn base(&self, config: &Config) -> String {
        server_base(self.server.as_deref(), config)
    }
}

/// `server` (default `http://<listen>` of the configuration), without a trailing `/`.
pub fn server_base(server: Option<&str>, config: &Config) -> String {
    match server {
        Some(server) => server.trim_end_matches('/').to_owned(),
        None => format!("http://{}", config.listen),
    }
}

// The account a command acts in (flattened; no doc comment, as for `Remote`).
#[derive(Debug, Args)]
pub struct Acting {
    /// The account to act in (sent as `Hookd-Account`): needed with the admin token; with an access key,
    /// its own account by default or one of its child accounts
    #[arg(long, env = "HOOKD_ACCOUNT", value_name = "ACCOUNT")]
    pub account: Option<String>,
}

/// A client of one server, acting as one caller in (optionally) one account.
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    account: Option<String>,
    pub output: Output,
}

/// A request's method, path (from `/api/v1`), query, headers and JSON body.
#[derive(Clone)]
pub struct Call {
    method: reqwest::Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
}

impl Call {
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(reqwest::Method::GET, path, None)
    }

    pub fn post(path: impl Into<String>, body: Value) -> Self {
        Self::new(reqwest::Method::POST, path, Some(body))
    }

    pub fn patch(path: impl Into<String>, body: Value) -> Self {
        Self::new(reqwest::Method::PATCH, path, Some(body))
    }

    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(reqwest::Method::DELETE, path, None)
    }

    fn new(method: reqwest::Method, path: impl Into<String>, body: Option<Value>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body,
            headers: Vec::new(),
        }
    }

    /// Adds `name=value` to the query when `value` is given.
    pub fn query(mut self, name: &'static str, value: Option<impl ToString>) -> Self {
        if let Some(value) = value {
            self.query.push((name, value.to_string()));
        }
        self
    }

    pub fn header(mut self, name: &'static str, value: Option<String>) -> Self {
        if let Some(value) = value {
            self.headers.push((name, value));
        }
        self
    }
}

impl Client {
    pub fn new(remote: &Remote, acting: Option<&Acting>, config: &Config) -> anyhow::Result<Self> {
        let token = match &remote.token {
            Some(token) => token.clone(),
            None => ServerSecrets::admin_token(config)
                .context("pass --token (or set HOOKD_TOKEN) with an access key")?,
        };
        Ok(Self {
            http: reqwest::Client::new(),
            base: remote.base(config),
            token,
            account: acting.and_then(|a| a.account.clone()),
            output: remote.output,
        })
    }

    /// The JSON answer of `call` (null for an empty one), or an error saying what the server refused.
    pub async fn send(&self, call: Call) -> anyhow::Result<Value> {
        let url = format!("{}/api/v1{}", self.base, call.path);
        let mut request = self
            .http
            .request(call.method, &url)
            .bearer_auth(&self.token)
            .query(&call.query);
        if let Some(account) = &self.account {
            request = request.header(crate::api::extract::ACCOUNT_HEADER, account);
        }
        for (name, value) in call.headers {
            request = request.header(name, value);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("cannot reach hookd at {}", self.base))?;
        let status = response.status();
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response
            .text()
            .await
            .with_context(|| format!("hookd's answer to {url} broke off"))?;
        if !status.is_success() {
            bail!(refusal(status, &text, request_id));
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).with_context(|| format!("hookd's answer to {url} is not JSON"))
    }
}

/// `hookd answered 404 Not Found: account_not_found: …`, with the field and request id when known.
fn refusal(status: reqwest::StatusCode, text: &str, request_id: Option<String>) -> String {
    let envelope: Option<Value> = serde_json::from_str(text).ok();
    let error = envelope.as_ref().map(|e| &e["error"]);
    let mut message = format!("hookd answered {status}");
    match error.and_then(|e| e["code"].as_str()) {
        Some(code) => {
            let error = &error.unwrap_or(&Value::Null);
            message.push_str(&format!(
                ": {code}: {}",
                error["message"].as_str().unwrap_or_default()
            ));
            if let Some(field) = error["field"].as_str() {
                message.push_str(&format!(" (field `{field}`)"));
            }
        }
        None if !text.trim().is_empty() => message.push_str(&format!(": {}", text.trim())),
        None => {}
    }
    let request_id = error
        .and_then(|e| e["request_id"].as_str())
        .map(str::to_owned)
        .or(request_id);
    if let Some(id) = request_id {
        message.push_str(&format!(" [request {id}]"));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_code_field_and_request() {
        let text = r#"{"error":{"code":"validation_failed","message":"url: bad","field":"url","request_id":"01J"}}"#;
        assert_eq!(
            refusal(reqwest::StatusCode::UNPROCESSABLE_ENTITY, text, None),
            "hookd answered 422 Unprocessable Entity: validation_failed: url: bad (field `url`) [request 01J]"
        );
        assert_eq!(
            refusal(reqwest::StatusCode::BAD_GATEWAY, "", Some("r1".into())),
            "hookd answered 502 Bad Gateway [request r1]"
        );
    }
}
