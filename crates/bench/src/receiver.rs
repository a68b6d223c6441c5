//! The benchmark's receiver: a bare hyper server that answers each callback and records its arrival.
//!
//! Paths say how to answer: `/ok/<sub>` at once with 200, `/slow/<sub>` with 200 after 200 ms,
//! `/fail/<sub>` with 500 the first time it sees a `webhook-id` and 200 after that.

use std::{
    collections::HashSet,
    convert::Infallible,
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use anyhow::Result;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{body::Incoming, server::conn::http1, service::service_fn, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// How long `/slow/` answers take.
pub const SLOW: Duration = Duration::from_millis(200);

/// One callback answered with 200.
#[derive(Clone)]
pub struct Receipt {
    pub kind: Kind,
    pub event: Box<str>,
    /// Microseconds since the receiver started.
    pub at_us: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ok = 0,
    Slow = 1,
    Fail = 2,
}

struct State {
    start: Instant,
    receipts: Mutex<Vec<Receipt>>,
    /// 200s per kind (`Kind as usize`), readable without the lock.
    counts: [AtomicUsize; 3],
    failed_once: Mutex<HashSet<(Box<str>, Box<str>)>>,
}

#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl Receiver {
    pub async fn start(start: Instant) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            start,
            receipts: Mutex::new(Vec::with_capacity(1 << 20)),
            counts: Default::default(),
            failed_once: Mutex::default(),
        });
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| answer(state.clone(), req));
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self { addr, state })
    }

    /// How many 200s of `kind` so far.
    pub fn count(&self, kind: Kind) -> usize {
        self.state.counts[kind as usize].load(Ordering::Relaxed)
    }

    /// Takes every receipt so far, leaving none.
    pub fn take(&self) -> Vec<Receipt> {
        lock(&self.state.failed_once).clear();
        let taken = std::mem::take(&mut *lock(&self.state.receipts));
        for count in &self.state.counts {
            count.store(0, Ordering::Relaxed);
        }
        taken
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn answer(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut parts = req.uri().path().trim_start_matches('/').splitn(2, '/');
    let kind = match parts.next() {
        Some("slow") => Kind::Slow,
        Some("fail") => Kind::Fail,
        _ => Kind::Ok,
    };
    let sub: Box<str> = parts.next().unwrap_or_default().into();
    let event: Box<str> = req
        .headers()
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .into();
    // Read the whole body, as a real receiver verifying a signature would.
    let _ = req.into_body().collect().await;
    if kind == Kind::Slow {
        tokio::time::sleep(SLOW).await;
    }
    if kind == Kind::Fail && lock(&state.failed_once).insert((sub, event.clone())) {
        return Ok(status(500));
    }
    let at_us = state.start.elapsed().as_micros() as u64;
    lock(&state.receipts).push(Receipt { kind, event, at_us });
    state.counts[kind as usize].fetch_add(1, Ordering::Relaxed);
    Ok(status(200))
}

fn status(code: u16) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = hyper::StatusCode::from_u16(code).unwrap_or_default();
    response
}
