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

/// The process can serve: storage answers.
#[utoipa::path(get, path = "/readyz", tag = "system",
    responses((status = 200, body = String), (status = 503, body = super::error::ErrorBody)))]
async fn readyz(State(state): State<ApiState>) -> Result<&'static str, ApiError> {
    state.service.store().ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            format!("storage is unavailable: {e}"),
        )
    })?;
    Ok("ready")
}

/// Prometheus metrics: `hookd_deliveries_total{outcome}`, `hookd_attempt_duration_seconds`,
/// `hookd_queue_depth`, `hookd_events_published_total`.
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
