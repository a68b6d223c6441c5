//! The native API's one error envelope, `{"error":{"code","message","request_id","field"?}}`, and the
//! single place where service errors become HTTP statuses.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{service, store::StoreError};

pub use crate::telemetry::{current_request_id, REQUEST_ID};

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case: `validation_failed`, `app_not_found`, `unauthorized`, …
    pub code: String,
    pub message: String,
    pub request_id: String,
    /// The offending input, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `schema_violation`: where the payload fails its schema (at most 20 listed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violations: Option<Vec<crate::domain::catalog::Violation>>,
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub field: Option<String>,
    pub retry_after: Option<u64>,
    pub violations: Option<Vec<crate::domain::catalog::Violation>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            field: None,
            retry_after: None,
            violations: None,
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        Self {
            message: if field.is_empty() {
                message
            } else {
                format!("{field}: {message}")
            },
            field: Some(field).filter(|f| !f.is_empty()),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "")
        }
    }

    /// The envelope for a status that carries no more specific error (unknown route, wrong method…).
    pub fn for_status(status: StatusCode) -> Self {
        let (code, message) = match status {
            StatusCode::NOT_FOUND => ("route_not_found", "no such route"),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "this route does not accept this method",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "payload_too_large",
                "the request body is larger than the limit",
            ),
            StatusCode::REQUEST_TIMEOUT => ("request_timeout", "the request took too long"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                "send JSON with Content-Type: application/json",
            ),
            s if s.is_server_error() => ("internal", "internal error"),
            _ => ("bad_request", "the request could not be processed"),
        };
        Self::new(status, code, message)
    }
}

impl From<service::Error> for ApiError {
    fn from(err: service::Error) -> Self {
        use service::Error as E;
        match err {
            E::Unauthorized(msg) => Self::new(StatusCode::UNAUTHORIZED, "unauthorized", msg),
            E::Forbidden(_) | E::PortalRefused(_) => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", err.to_string())
            }
            E::NotFound(what) => Self::new(
                StatusCode::NOT_FOUND,
                format!("{what}_not_found"),
                err.to_string(),
            ),
            E::Invalid(invalid) => Self::invalid(invalid.field, invalid.message),
            E::Conflict { code, message } => Self::new(StatusCode::CONFLICT, code, message),
            E::SchemaViolation {
                message,
                violations,
            } => Self {
                violations: Some(violations),
                ..Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "schema_violation",
                    message,
                )
            },
            E::QuotaExceeded(msg) => Self::new(StatusCode::CONFLICT, "quota_exceeded", msg),
            E::Backlogged(e) => Self {
                retry_after: Some(crate::delivery::dispatcher::RETRY_AFTER_SECS),
                ..Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "backlog_full",
                    e.to_string(),
                )
            },
            E::Store(e @ (StoreError::Database(_) | StoreError::Unavailable { .. })) => {
                // A fault of the storage is logged once per episode where writes are grouped (see
                // `store::health`), not once per request it fails.
                if crate::store::health::Fault::of(&e).is_some() {
                    tracing::debug!(error = %e, "storage unavailable");
                } else {
                    tracing::error!(error = %e, "storage failure");
                }
                Self {
                    retry_after: Some(1),
                    ..Self::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "storage_unavailable",
                        "storage is unavailable; retry later",
                    )
                }
            }
            E::Store(e) => {
                tracing::error!(error = %e, "storage failure");
                Self::for_status(StatusCode::INTERNAL_SERVER_ERROR)
            }
            E::Corrupt(e) => {
                tracing::error!(error = %e, "corrupt stored data");
                Self::for_status(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                request_id: current_request_id(),
                field: self.field,
                violations: self.violations,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
