//! A keep-alive HTTP/1.1 connection driven directly through hyper: the least a client can do per request,
//! used for publishing into hookd and for the bare-client ceiling.

use std::net::SocketAddr;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{client::conn::http1::SendRequest, header, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Whom a request acts as: a bearer token, and for the admin token the account it acts in (sent as
/// `Hookd-Account`).
#[derive(Clone)]
pub struct Auth {
    authorization: String,
    account: Option<String>,
}

impl Auth {
    /// A key's token, or the admin token acting in no account.
    pub fn token(token: &str) -> Self {
        Self {
            authorization: format!("Bearer {token}"),
            account: None,
        }
    }

    /// The admin token acting in `account`.
    pub fn in_account(token: &str, account: &str) -> Self {
        Self {
            account: Some(account.to_owned()),
            ..Self::token(token)
        }
    }

    /// The request headers that say so.
    pub fn headers(&self) -> Vec<(&'static str, &str)> {
        let mut headers = vec![("authorization", self.authorization.as_str())];
        if let Some(account) = &self.account {
            headers.push(("hookd-account", account));
        }
        headers
    }
}

pub struct Conn {
    addr: SocketAddr,
    send: SendRequest<Full<Bytes>>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (send, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Self { addr, send })
    }

    /// One request; reconnects once if the server closed the connection between requests.
    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<(StatusCode, Bytes)> {
        let (status, _, body) = self.exchange(method, path, headers, body).await?;
        Ok((status, body))
    }

    /// A request and its answer's status, headers and body.
    pub async fn exchange(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<(StatusCode, header::HeaderMap, Bytes)> {
        if self.send.ready().await.is_err() {
            *self = Self::open(self.addr).await?;
        }
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "127.0.0.1")
            .header(header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .send
            .send_request(request.body(Full::new(body))?)
            .await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok((parts.status, parts.headers, body))
    }

    /// A JSON request as `auth` that must answer `expect`; returns the parsed answer.
    pub async fn json(
        &mut self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: serde_json::Value,
        expect: StatusCode,
    ) -> Result<serde_json::Value> {
        let (status, answer) = self
            .request(method, path, &auth.headers(), Bytes::from(body.to_string()))
            .await?;
        if status != expect {
            bail!(
                "{path} answered {status}: {}",
                String::from_utf8_lossy(&answer)
            );
        }
        Ok(serde_json::from_slice(&answer)?)
    }
}
