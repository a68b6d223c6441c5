//! What one attempt produced: the receiver's (or broker's) reply, or the kind of failure that kept the
//! callback from being delivered, with a one-line account of it for the attempt log. The sender and the
//! queue publishers make these; the dispatcher records them.

use std::time::Duration;

use super::ssrf::Blocked;

/// Why an attempt got no successful answer, a closed set, stored with each attempt as its code
/// (`attempts.failure`, NULL for a success): success, the activity counts and the console's labels derive
/// from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// No answer (or no broker confirmation) within the timeout.
    Timeout,
    /// The connection (TCP or TLS) could not be made.
    Connect,
    /// The target's host name could not be resolved.
    Dns,
    /// The SSRF guard refused the target's address.
    Blocked,
    /// The target is not a URL hookd can deliver to (unparsable, or a queue this build has no support
    /// for).
    Destination,
    /// A `QueueFlag=Y` receipt, but the operator configured no CAMS queue.
    NoOperatorQueue,
    /// The receiver answered with a redirect, which is never followed.
    Redirect,
    /// The answer's body could not be read.
    ResponseBody,
    /// The broker refused the message or the connection to it failed.
    Queue,
    /// The request could not be prepared (secrets, format).
    Render,
    /// Retention dropped the event's payload: nothing left to send.
    PayloadDropped,
    /// Any other failure of the HTTP request.
    Request,
    /// The receiver answered with a status other than 2xx (the attempt's `status_code`).
    Status,
}

impl FailureKind {
    /// A stable code for logs and traces (`error.type`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Connect => "connect",
            Self::Dns => "dns",
            Self::Blocked => "blocked",
            Self::Destination => "destination",
            Self::NoOperatorQueue => "no_operator_queue",
            Self::Redirect => "redirect",
            Self::ResponseBody => "response_body",
            Self::Queue => "queue",
            Self::Render => "render",
            Self::PayloadDropped => "payload_dropped",
            Self::Request => "request",
            Self::Status => "status",
        }
    }

    /// The kind of a stored code; `None` for a code this build does not know.
    pub fn from_code(code: &str) -> Option<Self> {
        ALL.into_iter().find(|kind| kind.as_str() == code)
    }
}

/// Every failure kind.
pub const ALL: [FailureKind; 13] = [
    FailureKind::Timeout,
    FailureKind::Connect,
    FailureKind::Dns,
    FailureKind::Blocked,
    FailureKind::Destination,
    FailureKind::NoOperatorQueue,
    FailureKind::Redirect,
    FailureKind::ResponseBody,
    FailureKind::Queue,
    FailureKind::Render,
    FailureKind::PayloadDropped,
    FailureKind::Request,
    FailureKind::Status,
];

/// The result of one attempt.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: Option<u16>,
    /// What went wrong, if anything did: its kind, and `error` its account.
    pub failure: Option<FailureKind>,
    pub error: Option<String>,
    pub excerpt: Option<String>,
    /// A queue destination confirmed the message (queues have no HTTP status).
    pub accepted: bool,
    /// The receiver's `Retry-After` on a 429 or 503, unbounded.
    pub retry_after: Option<Duration>,
}

impl Reply {
    /// A 2xx answer (even one whose body could not be read to the end), or a queue's confirmation.
    pub fn is_success(&self) -> bool {
        self.accepted || self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// Why the attempt failed, as it is stored; `None` when it succeeded. An answer other than 2xx is
    /// `Status` (or `Redirect`), whatever happened reading its body.
    pub fn failure_code(&self) -> Option<FailureKind> {
        if self.is_success() {
            return None;
        }
        Some(match (self.status, self.failure) {
            (Some(_), Some(FailureKind::Redirect)) => FailureKind::Redirect,
            (Some(_), _) => FailureKind::Status,
            (None, kind) => kind.unwrap_or(FailureKind::Request),
        })
    }

    pub fn failed(kind: FailureKind, error: impl Into<String>) -> Self {
        Self {
            status: None,
            failure: Some(kind),
            error: Some(error.into()),
            excerpt: None,
            accepted: false,
            retry_after: None,
        }
    }

    /// A broker's confirmation, kept as the attempt's excerpt.
    pub fn accepted(confirmation: String) -> Self {
        Self {
            status: None,
            failure: None,
            error: None,
            excerpt: Some(confirmation),
            accepted: true,
            retry_after: None,
        }
    }

    /// The SSRF guard's refusal: `Dns` when the name does not resolve, `Blocked` otherwise.
    pub fn blocked(refusal: &Blocked) -> Self {
        let kind = match refusal {
            Blocked::Unresolvable { .. } => FailureKind::Dns,
            Blocked::NonPublic { .. } => FailureKind::Blocked,
        };
        Self::failed(kind, format!("blocked: {refusal}"))
    }
}

/// The kind of a failed HTTP request: the guard's refusal if it is among the causes, else timeout,
/// connect or any other request failure.
pub fn request_failure(err: &reqwest::Error) -> FailureKind {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(blocked) = cause.downcast_ref::<Blocked>() {
            return match blocked {
                Blocked::Unresolvable { .. } => FailureKind::Dns,
                Blocked::NonPublic { .. } => FailureKind::Blocked,
            };
        }
        source = cause.source();
    }
    if err.is_timeout() {
        FailureKind::Timeout
    } else if err.is_connect() {
        FailureKind::Connect
    } else {
        FailureKind::Request
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_read_back() {
        let mut codes: Vec<&str> = ALL.iter().map(|k| k.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ALL.len());
        for kind in ALL {
            assert_eq!(FailureKind::from_code(kind.as_str()), Some(kind));
        }
        assert_eq!(FailureKind::from_code("ok"), None);
    }

    #[test]
    fn the_stored_code_of_a_reply() {
        let answered = |status, failure| Reply {
            status: Some(status),
            failure,
            error: None,
            excerpt: None,
            accepted: false,
            retry_after: None,
        };
        assert_eq!(answered(204, None).failure_code(), None);
        // A 2xx whose body could not be read is a success: the body only cuts the excerpt short.
        assert_eq!(
            answered(200, Some(FailureKind::ResponseBody)).failure_code(),
            None
        );
        assert_eq!(
            answered(500, Some(FailureKind::ResponseBody)).failure_code(),
            Some(FailureKind::Status)
        );
        assert_eq!(
            answered(302, Some(FailureKind::Redirect)).failure_code(),
            Some(FailureKind::Redirect)
        );
        assert_eq!(
            Reply::failed(FailureKind::Connect, "refused").failure_code(),
            Some(FailureKind::Connect)
        );
        assert_eq!(Reply::accepted("ok".into()).failure_code(), None);
    }

    #[test]
    fn a_guard_refusal_is_blocked_or_dns() {
        let refused = Blocked::NonPublic {
            host: "internal".into(),
            addr: "10.0.0.1".parse().unwrap(),
        };
        let reply = Reply::blocked(&refused);
        assert_eq!(reply.failure, Some(FailureKind::Blocked));
        assert!(reply
            .error
            .unwrap()
            .starts_with("blocked: internal resolves to 10.0.0.1"));
        let unresolvable = Blocked::Unresolvable {
            host: "nowhere.invalid".into(),
            reason: "no addresses".into(),
        };
        assert_eq!(
            Reply::blocked(&unresolvable).failure,
            Some(FailureKind::Dns)
        );
        assert!(!Reply::blocked(&unresolvable).is_success());
    }
}
