//! Operational routes: liveness, readiness (storage reachable), Prometheus metrics, the OpenAPI document.

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::IntoResponse,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{error::ApiError, ApiState};

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(openapi))
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = String)))]
async fn healthz() -> &'static str {
    "ok"
}

/// A failed write is trusted for this long; after it, readiness tries a write of its own.
const WRITE_FAILURE_TRUSTED_MS: i64 = 1_000;

/// The process can serve: storage answers reads, and writes succeed. While writes fail (a full disk, a
/// read-only file system or database) the answer is 503; a write that succeeds, a publish or this route's
/// own small write once the last failure is a second old, makes it 200 again.
#[utoipa::path(get, path = "/readyz", tag = "system",
    responses((status = 200, body = String), (status = 503, body = super::error::ErrorBody)))]
async fn readyz(State(state): State<ApiState>) -> Result<&'static str, ApiError> {
    let store = state.service.store();
    // The storage's health logs an episode once; this route is asked every few seconds.
    let not_ready = |e: crate::store::StoreError| {
        tracing::debug!(error = %e, "readiness check failed");
        unavailable(format!("storage is unavailable: {e}"))
    };
    if let Err(e) = store.ping().await {
        store.health().failed(&e);
        return Err(not_ready(e));
    }
    if let Some(failed_at) = store.health().failing_since_last() {
        if crate::domain::now_ms() - failed_at < WRITE_FAILURE_TRUSTED_MS {
            return Err(unavailable(
                "storage cannot write; writes are being refused".into(),
            ));
        }
        // The probe notes its own outcome in the health.
        store.probe_write().await.map_err(not_ready)?;
    }
    Ok("ready")
}

fn unavailable(message: String) -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
        message,
    )
}

/// Prometheus metrics: `hookd_deliveries_total{outcome}`, `hookd_attempt_duration_seconds`,
/// `hookd_queue_depth`, `hookd_events_published_total`, `hookd_storage_errors_total{kind}`.
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, body = String, content_type = "text/plain")))]
async fn metrics(State(state): State<ApiState>) -> impl IntoResponse {
    match state.service.store().queue_depth().await {
        Ok(depth) => metrics::gauge!("hookd_queue_depth").set(depth as f64),
        Err(e) => tracing::warn!(error = %e, "queue depth unavailable"),
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system", responses((status = 200, body = Object)))]
async fn openapi(State(state): State<ApiState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi.as_str().to_owned(),
    )
}
