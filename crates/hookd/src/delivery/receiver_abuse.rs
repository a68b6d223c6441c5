//! Receivers that misbehave on purpose, on real loopback sockets: every attempt against them ends within
//! the configured time with a bounded excerpt and an error that says what went wrong.

use std::{
    future::Future,
    net::SocketAddr,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

use super::{
    formats::Rendered,
    outcome::{FailureKind, Reply},
    sender::Sender,
    ssrf::Guard,
};
use crate::{config::DeliveryConfig, domain::ExtraHeaders};

const TIMEOUT: Duration = Duration::from_millis(1_000);
const EXCERPT: usize = 4096;

/// A receiver that reads each request's head and then answers with `answer`.
async fn receiver<F, Fut>(answer: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                answer(stream).await;
            });
        }
    });
    addr
}

fn sender() -> Sender {
    let config = DeliveryConfig {
        timeout_ms: TIMEOUT.as_millis() as u64,
        response_excerpt_bytes: EXCERPT,
        ..DeliveryConfig::default()
    };
    Sender::new(
        &config,
        Guard::new(vec!["127.0.0.0/8".parse().unwrap()]),
        None,
    )
    .unwrap()
}

/// Sends one attempt to `url`; returns the reply and how long it took.
async fn attempt(url: &str) -> (Reply, Duration) {
    let rendered = Rendered {
        body: b"{\"n\":1}".to_vec(),
        headers: vec![("content-type", "application/json".to_owned())],
    };
    let started = Instant::now();
    let reply = sender()
        .send_url(url, "dlv_1", &rendered, &ExtraHeaders::default(), None)
        .await;
    (reply, started.elapsed())
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_excerpt() {
    let addr = receiver(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            .await;
        let chunk = format!("1000\r\n{}\r\n", "y".repeat(0x1000));
        while s.write_all(chunk.as_bytes()).await.is_ok() {}
    })
    .await;
    let (reply, took) = attempt(&format!("http://{addr}/")).await;
    assert_eq!(reply.status, Some(200));
    assert_eq!(reply.excerpt.as_ref().map(String::len), Some(EXCERPT));
    assert!(
        took < TIMEOUT,
        "reading stopped at the excerpt, not at the timeout: {took:?}"
    );
}

#[tokio::test]
async fn a_trickling_body_ends_at_the_timeout() {
    let addr = receiver(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000000\r\n\r\n")
            .await;
        while s.write_all(b"z").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let (reply, took) = attempt(&format!("http://{addr}/")).await;
    assert_eq!(reply.status, Some(200));
    assert_eq!(reply.failure, Some(FailureKind::ResponseBody));
    let error = reply.error.clone().expect("an error");
    assert!(
        error.contains("reading response body") && error.contains("timed out"),
        "{error}"
    );
    // The receiver answered 200: its slow body only cuts the excerpt short.
    assert!(reply.is_success());
    assert!(reply.excerpt.as_ref().is_some_and(|e| e.len() < 100));
    assert!(took >= TIMEOUT && took < TIMEOUT * 2, "{took:?}");
}

#[tokio::test]
async fn slowloris_headers_end_at_the_timeout() {
    let addr = receiver(|mut s| async move {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n").await;
        while s.write_all(b"x-slow: y\r\n").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let (reply, took) = attempt(&format!("http://{addr}/")).await;
    assert_eq!(reply.status, None);
    assert_eq!(reply.failure, Some(FailureKind::Timeout));
    let error = reply.error.expect("an error");
    assert!(error.contains("timed out"), "{error}");
    assert!(took >= TIMEOUT && took < TIMEOUT * 2, "{took:?}");
}

#[tokio::test]
async fn huge_headers_are_refused() {
    let addr = receiver(|mut s| async move {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n").await;
        let line = format!("x-big: {}\r\n", "h".repeat(8 * 1024));
        for _ in 0..1024 {
            if s.write_all(line.as_bytes()).await.is_err() {
                return;
            }
        }
        let _ = s.write_all(b"\r\n").await;
    })
    .await;
    let (reply, took) = attempt(&format!("http://{addr}/")).await;
    assert_eq!(reply.status, None);
    let error = reply.error.expect("an error");
    assert!(error.contains("too large"), "{error}");
    assert!(took < TIMEOUT, "{took:?}");
}

#[tokio::test]
async fn garbage_and_hang_ups_are_errors() {
    let garbage = receiver(|mut s| async move {
        let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2\r\n\r\n").await;
    })
    .await;
    let (reply, _) = attempt(&format!("http://{garbage}/")).await;
    assert_eq!(reply.status, None);
    assert_eq!(reply.failure, Some(FailureKind::Request));
    assert!(reply.error.expect("an error").starts_with("request failed"));

    let hang_up = receiver(|s| async move { drop(s) }).await;
    let (reply, took) = attempt(&format!("http://{hang_up}/")).await;
    assert_eq!(reply.status, None);
    assert!(reply.error.is_some());
    assert!(took < TIMEOUT);
}

#[tokio::test]
async fn tls_errors_name_the_problem() {
    // HTTPS to a receiver that speaks plain HTTP.
    let plain = receiver(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await;
    })
    .await;
    let (reply, _) = attempt(&format!("https://{plain}/")).await;
    assert_eq!(reply.status, None);
    assert!(reply.error.is_some());

    // HTTPS to a receiver whose certificate no trusted CA signed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
        cert.cert.pem().into_bytes(),
        cert.signing_key.serialize_pem().into_bytes(),
    )
    .await
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|| async { "ok" });
    tokio::spawn(async move {
        axum_server::from_tcp_rustls(listener, tls)
            .unwrap()
            .serve(app.into_make_service())
            .await
    });
    let (reply, took) = attempt(&format!("https://{addr}/")).await;
    assert_eq!(reply.status, None);
    assert_eq!(
        reply.failure,
        Some(FailureKind::Tls),
        "an untrusted certificate fails the handshake"
    );
    let error = reply.error.expect("an error");
    assert!(error.contains("certificate"), "{error}");
    assert!(took < TIMEOUT, "{took:?}");
}

#[tokio::test]
async fn a_port_where_nothing_listens_is_a_refused_connection() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let (reply, took) = attempt(&format!("http://{addr}/")).await;
    assert_eq!(reply.status, None);
    assert_eq!(reply.failure, Some(FailureKind::ConnectionRefused));
    assert!(took < TIMEOUT, "{took:?}");
}
