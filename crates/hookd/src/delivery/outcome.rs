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
    /// The connection could not be made, for a reason other than those below.
    Connect,
    /// Nothing listens at the target's port: the host answered the connection with a refusal.
    ConnectionRefused,
    /// The TLS handshake failed: an untrusted or mismatched certificate, or no common protocol.
    Tls,
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
            Self::ConnectionRefused => "connection_refused",
            Self::Tls => "tls",
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

/// A failure kind told to people: what happened, and what to try.
#[derive(Debug, Clone, Copy)]
pub struct Explanation {
    pub title: &'static str,
    /// What the subscription's owner can do.
    pub advice: &'static str,
    /// What the operator can do besides, where that differs.
    pub operator_advice: Option<&'static str>,
}

impl FailureKind {
    /// The plain-language line and advice the console and the API show for this kind.
    pub fn explain(self) -> Explanation {
        let (title, advice, operator_advice) = match self {
            Self::Timeout => (
                "The receiver did not answer in time",
                "Make the endpoint answer quickly: acknowledge the callback at once and do the work \
                 afterwards, or raise the subscription's timeout.",
                None,
            ),
            Self::Connect => (
                "The connection could not be made",
                "Check that the receiver's host is up and reachable, and that no firewall drops \
                 connections to it.",
                None,
            ),
            Self::ConnectionRefused => (
                "Nothing is listening at this address",
                "Check the host and port in the subscription's URL, and that the receiving service is \
                 running.",
                None,
            ),
            Self::Tls => (
                "The secure connection (TLS) failed",
                "Check the receiver's certificate: valid, not expired, issued by a trusted authority and \
                 naming the URL's host.",
                None,
            ),
            Self::Dns => (
                "The host name does not resolve",
                "Check the spelling of the URL's host name and that its DNS records exist.",
                None,
            ),
            Self::Blocked => (
                "The receiver's address is not public",
                "hookd delivers only to public addresses. Use a public URL, or ask the operator of this \
                 hookd to allow this address.",
                Some("Allow the address range with HOOKD_ALLOWED_TARGETS if receivers on this network are \
                      meant to be reached."),
            ),
            Self::Destination => (
                "The URL is not one hookd can deliver to",
                "Edit the subscription's URL: an http(s) URL, or a queue URL of a broker this hookd \
                 supports.",
                None,
            ),
            Self::NoOperatorQueue => (
                "No queue is set up for queued receipts",
                "Turn the queue flag off to receive receipts by HTTP, or ask the operator to set up the \
                 queue.",
                Some("Set HOOKD_CAMS_QUEUE to a queue destination."),
            ),
            Self::Redirect => (
                "The receiver answered with a redirect",
                "hookd never follows redirects: set the subscription's URL to the address the redirect \
                 points to.",
                None,
            ),
            Self::ResponseBody => (
                "The receiver's answer broke off",
                "The receiver closed the connection or sent a malformed answer; check its logs.",
                None,
            ),
            Self::Queue => (
                "The message broker did not take the message",
                "Check that the broker is up, that the queue or subject exists, and that the URL's \
                 credentials may publish to it.",
                None,
            ),
            Self::Render => (
                "The callback could not be prepared",
                "The subscription's format or secrets could not be applied to this event; check the \
                 subscription's settings, or rotate its secret.",
                Some("hookd's log names the reason, with the delivery's id."),
            ),
            Self::PayloadDropped => (
                "The event's payload is gone",
                "Retention or an erasure dropped the payload, so nothing can be sent. Publish the event \
                 again if it is still needed.",
                None,
            ),
            Self::Request => (
                "The request failed",
                "The error text says what went wrong; check the receiver and the network between.",
                None,
            ),
            Self::Status => (
                "The receiver answered with an error status",
                "The status code and the start of the receiver's answer are shown; fix what the receiver \
                 reports, then retry.",
                None,
            ),
        };
        Explanation {
            title,
            advice,
            operator_advice,
        }
    }
}

/// Every failure kind.
pub const ALL: [FailureKind; 15] = [
    FailureKind::Timeout,
    FailureKind::Connect,
    FailureKind::ConnectionRefused,
    FailureKind::Tls,
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

/// A refused connection or a failed TLS handshake inside an I/O error. The TLS stack wraps its error in
/// I/O errors, and an `io::Error`'s `source` skips the error it wraps, so they are unwrapped here.
fn io_failure(io: &std::io::Error) -> Option<FailureKind> {
    if io.kind() == std::io::ErrorKind::ConnectionRefused {
        return Some(FailureKind::ConnectionRefused);
    }
    let inner = io.get_ref()?;
    if inner.is::<rustls::Error>() {
        return Some(FailureKind::Tls);
    }
    inner.downcast_ref::<std::io::Error>().and_then(io_failure)
}

/// The kind of a failed HTTP request: the guard's refusal, a refused connection or a failed TLS handshake
/// if one is among the causes, else timeout, connect or any other request failure.
pub fn request_failure(err: &reqwest::Error) -> FailureKind {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(blocked) = cause.downcast_ref::<Blocked>() {
            return match blocked {
                Blocked::Unresolvable { .. } => FailureKind::Dns,
                Blocked::NonPublic { .. } => FailureKind::Blocked,
            };
        }
        if cause.is::<rustls::Error>() {
            return FailureKind::Tls;
        }
        if let Some(kind) = cause.downcast_ref::<std::io::Error>().and_then(io_failure) {
            return kind;
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
