//! A real HTTP receiver on 127.0.0.1:0 that records what it is sent and answers as a test tells it.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    http::{HeaderMap, StatusCode},
    Router,
};

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// When the request arrived.
    pub at: Instant,
}

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    /// How long to wait before answering.
    pub delay: Duration,
}

impl Answer {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            retry_after: None,
            delay: Duration::ZERO,
        }
    }

    pub fn retry_after(status: u16, value: &str) -> Self {
        Self {
            retry_after: Some(value.to_owned()),
            ..Self::status(status)
        }
    }

    pub fn slow(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::status(200)
        }
    }
}

#[derive(Default)]
struct ReceiverState {
    requests: Mutex<Vec<Recorded>>,
    /// Answers, in order; 200 at once when exhausted.
    plan: Mutex<VecDeque<Answer>>,
    /// Requests being answered, by `webhook-id`.
    in_flight: Mutex<std::collections::HashMap<String, usize>>,
    /// The `webhook-id` of every request that arrived while another with the same id was being answered.
    overlaps: Mutex<Vec<String>>,
}

/// One request being answered; counted out when the answer is done or the sender went away.
struct Answering {
    state: Arc<ReceiverState>,
    id: Option<String>,
}

impl Answering {
    fn start(state: Arc<ReceiverState>, id: Option<String>) -> Self {
        if let Some(id) = &id {
            let mut in_flight = state.in_flight.lock().expect("lock");
            let n = in_flight.entry(id.clone()).or_default();
            *n += 1;
            if *n > 1 {
                state.overlaps.lock().expect("lock").push(id.clone());
            }
        }
        Self { state, id }
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        if let Some(id) = &self.id {
            let mut in_flight = self
                .state
                .in_flight
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if let Some(n) = in_flight.get_mut(id) {
                *n -= 1;
                if *n == 0 {
                    in_flight.remove(id);
                }
            }
        }
    }
}

/// A real HTTP receiver on 127.0.0.1:0.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    state: Arc<ReceiverState>,
}

impl Receiver {
    pub async fn start() -> Self {
        let state = Arc::new(ReceiverState::default());
        let handler_state = state.clone();
        let handler = move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
            let state = handler_state.clone();
            async move {
                let id = headers
                    .get("webhook-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let _answering = Answering::start(state.clone(), id);
                state.requests.lock().expect("lock").push(Recorded {
                    path: uri.path().to_owned(),
                    headers,
                    body,
                    at: Instant::now(),
                });
                let answer = state
                    .plan
                    .lock()
                    .expect("lock")
                    .pop_front()
                    .unwrap_or(Answer::status(200));
                tokio::time::sleep(answer.delay).await;
                let mut response = axum::response::IntoResponse::into_response((
                    StatusCode::from_u16(answer.status).expect("status"),
                    format!("answered {}", answer.status),
                ));
                if let Some(value) = answer.retry_after {
                    response
                        .headers_mut()
                        .insert("retry-after", value.parse().expect("header value"));
                }
                response
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, Router::new().fallback(handler)).await });
        Self {
            url: format!("http://{addr}/hook"),
            state,
        }
    }

    /// The next requests get these statuses, in order.
    pub fn respond_with(&self, statuses: &[u16]) {
        self.answer(statuses.iter().map(|s| Answer::status(*s)));
    }

    /// The next requests get these answers, in order.
    pub fn answer(&self, answers: impl IntoIterator<Item = Answer>) {
        self.state.plan.lock().expect("lock").extend(answers);
    }

    /// Drops the planned answers: from now on every request gets 200 at once.
    pub fn clear_answers(&self) {
        self.state.plan.lock().expect("lock").clear();
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().expect("lock").clone()
    }

    /// Requests being answered now.
    pub fn answering(&self) -> usize {
        self.state.in_flight.lock().expect("lock").values().sum()
    }

    /// The `webhook-id`s that arrived while a request with the same id was still being answered.
    pub fn overlaps(&self) -> Vec<String> {
        self.state.overlaps.lock().expect("lock").clone()
    }

    /// Waits (at most `timeout`) until `n` requests arrived; returns what arrived.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Recorded> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.requests();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Verifies a recorded request with the independent `standardwebhooks` implementation.
pub fn verify_signature(secret: &str, req: &Recorded) -> Result<(), String> {
    let wh = standardwebhooks::Webhook::new(secret).map_err(|e| e.to_string())?;
    wh.verify(&req.body, &req.headers)
        .map_err(|e| e.to_string())
}
