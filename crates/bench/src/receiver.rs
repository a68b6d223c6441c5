//! The benchmark's receiver: a bare hyper server that answers each callback and records its arrival.
//!
//! Paths say how to answer: `/ok/<sub>` at once with 200, `/slow/<sub>` with 200 after 200 ms,
//! `/slow2/<sub>` with 200 after 2 s, `/hang/<sub>` with 200 only after 60 s (longer than any callback
//! timeout the benchmark sets: in effect never, but bounded), `/fail/<sub>` with 500 the first time it sees a
//! `webhook-id` and 200 after that. Every 200 is counted by kind; only the `/ok/` ones are kept as receipts
//! (event id and arrival time), the ones the figures are made of.
use std::{
    collections::HashSet,
    convert::Infallible,
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
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
/// How long `/slow2/` answers take.
pub const SLOW2: Duration = Duration::from_secs(2);
/// How long `/hang/` holds a request before it answers after all.
pub const HANG: Duration = Duration::from_secs(60);

/// One `/ok/` callback answered with 200.
pub struct Receipt {
    pub event: Box<str>,
    /// Microseconds since the receiver started.
    pub at_us: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ok = 0,
    Slow = 1,
    Fail = 2,
    Slow2 = 3,
    Hang = 4,
}

struct State {
    start: Instant,
    receipts: Mutex<Vec<Receipt>>,
    /// 200s per kind (`Kind as usize`), readable without the lock.
    counts: [AtomicUsize; 5],
    failed_once: Mutex<HashSet<(Box<str>, Box<str>)>>,
    /// Bumped by every `take()`: a callback that arrived before it (a slow answer still pending when a run
    /// ended) is not counted in the next run.
    generation: AtomicU64,
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
            receipts: Mutex::default(),
            counts: Default::default(),
            failed_once: Mutex::default(),
            generation: AtomicU64::new(0),
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

    /// Makes room for `receipts` more receipts up front, so that the list does not grow (under its lock,
    /// in the callbacks' way) while a run measures.
    pub fn reserve(&self, receipts: usize) {
        lock(&self.state.receipts).reserve(receipts);
    }

    /// Takes every receipt so far, leaving none, and forgets the callbacks still being answered.
    pub fn take(&self) -> Vec<Receipt> {
        self.state.generation.fetch_add(1, Ordering::Relaxed);
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
    let generation = state.generation.load(Ordering::Relaxed);
    let mut parts = req.uri().path().trim_start_matches('/').splitn(2, '/');
    let kind = match parts.next() {
        Some("slow") => Kind::Slow,
        Some("fail") => Kind::Fail,
        Some("slow2") => Kind::Slow2,
        Some("hang") => Kind::Hang,
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
    match kind {
        Kind::Slow => tokio::time::sleep(SLOW).await,
        Kind::Slow2 => tokio::time::sleep(SLOW2).await,
        Kind::Hang => tokio::time::sleep(HANG).await,
        Kind::Ok | Kind::Fail => {}
    }
    if kind == Kind::Fail && lock(&state.failed_once).insert((sub, event.clone())) {
        return Ok(status(500));
    }
    if state.generation.load(Ordering::Relaxed) != generation {
        return Ok(status(200));
    }
    if kind == Kind::Ok {
        let at_us = state.start.elapsed().as_micros() as u64;
        lock(&state.receipts).push(Receipt { event, at_us });
    }
    state.counts[kind as usize].fetch_add(1, Ordering::Relaxed);
    Ok(status(200))
}

fn status(code: u16) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = hyper::StatusCode::from_u16(code).unwrap_or_default();
    response
}
