//! `hookd receive`: a local receiver for trying hookd out. Prints each callback's Standard Webhooks headers
//! and body, checks the signature when given the secret, and answers 200.

use axum::{body::Bytes, http::HeaderMap, http::StatusCode, routing::post, Router};

use crate::{delivery::formats::native::sign, domain::WebhookSecret};

pub async fn run(listen: std::net::SocketAddr, secret: Option<String>) -> anyhow::Result<()> {
    let secret = secret.map(|s| WebhookSecret::parse(&s)).transpose()?;
    let handler = move |headers: HeaderMap, body: Bytes| {
        let secret = secret.clone();
        async move {
            let get = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned()
            };
            let (id, ts, sig) = (
                get("webhook-id"),
                get("webhook-timestamp"),
                get("webhook-signature"),
            );
            let verdict = match (&secret, ts.parse::<i64>()) {
                (Some(secret), Ok(ts)) => {
                    let expected = sign(secret.key(), &id, ts, &body);
                    if sig.split(' ').any(|s| s == expected) {
                        "signature ok"
                    } else {
                        "SIGNATURE MISMATCH"
                    }
                }
                (Some(_), Err(_)) => "no timestamp",
                (None, _) => "signature not checked (pass --secret)",
            };
            println!(
                "webhook-id: {id}  webhook-timestamp: {ts}  [{verdict}]\n{}\n",
                String::from_utf8_lossy(&body)
            );
            StatusCode::OK
        }
    };
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!(
        "hookd receive: listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, Router::new().fallback(post(handler))).await?;
    Ok(())
}
