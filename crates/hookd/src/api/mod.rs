//! The native REST API (`/api/v1`): one module per resource, each with its `router()`; the OpenAPI
//! document is generated from the same handlers, so every route is documented.

mod accounts;
mod activity;
pub mod admission;
mod apps;
mod deliveries;
pub mod error;
mod event_types;
mod events;
pub mod extract;
mod health;
mod me;
mod portal;
mod subscriptions;
mod system;

use std::sync::Arc;

use axum::{
    extract::{DefaultBodyLimit, Request},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Router,
};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    IntoParams, IntoResponses, Modify, OpenApi, ToSchema,
};
use utoipa_axum::router::OpenApiRouter;

use tracing::Instrument;

use crate::{
    service::{PageParams, Paged, Service},
    telemetry,
};
use error::{ApiError, ErrorBody};

#[derive(Clone)]
pub struct ApiState {
    pub service: Arc<Service>,
    pub admission: Arc<admission::Admission>,
    pub metrics: PrometheusHandle,
    pub openapi: Arc<String>,
    /// `HOOKD_PUBLIC_URL`, for the links the API hands out.
    pub public_url: Option<String>,
    /// Whether this server speaks HTTPS (for links when no public URL is set).
    pub tls: bool,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "hookd", description = "Self-hosted callback (webhook) delivery: the native API."),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The admin token, an access key as `key_id:secret`, or a customer-portal session's `hkp_…` token.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every route with its OpenAPI description.
fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(accounts::router())
        .merge(apps::router())
        .merge(event_types::router())
        .merge(subscriptions::router())
        .merge(events::router())
        .merge(deliveries::router())
        .merge(activity::router())
        .merge(health::router())
        .merge(me::router())
        .merge(portal::router())
        .merge(system::router())
}

/// The native API, with `beside` (routes with their own state applied: the dialects, the console) served
/// on the same listener, under the same request context (id, logs, timeout, body limit, error envelope
/// for bare error statuses, panics caught).
pub fn router(
    service: Arc<Service>,
    metrics: PrometheusHandle,
    config: &crate::Config,
    beside: Router,
) -> Router {
    let max_body_bytes = config.max_body_bytes;
    let (router, doc) = routes().split_for_parts();
    let openapi = Arc::new(
        doc.to_pretty_json()
            .expect("the OpenAPI document serialises"),
    );
    let state = ApiState {
        service,
        admission: admission::Admission::new(config.account_concurrency, config.account_rate_limit),
        metrics,
        openapi,
        public_url: config.public_url.clone(),
        tls: config.tls_cert.is_some(),
    };
    let mut router = router
        .merge(portal::page_router())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), admit))
        .with_state(state)
        .merge(beside);
    if config.otlp_endpoint.is_some() {
        // Only then: the request span is off otherwise, and naming it would be wasted work.
        router = router.route_layer(axum::middleware::from_fn(name_request_span));
    }
    router
        .fallback(|| async { ApiError::for_status(StatusCode::NOT_FOUND) })
        .layer(DefaultBodyLimit::max(max_body_bytes))
        // Inside the request context, so that a timed-out request gets the error envelope and its id.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            std::time::Duration::from_millis(config.request_timeout_ms),
        ))
        .layer(axum::middleware::from_fn(request_context))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            ApiError::for_status(StatusCode::INTERNAL_SERVER_ERROR).into_response()
        }))
}

/// Authenticates a native API request once and admits it under its account's fair share (see
/// [`admission`]); the handler's [`extract::Caller`] takes the principal found here. Requests without
/// valid credentials pass through, for the handler to refuse (or serve, where no credentials are needed).
async fn admit(
    axum::extract::State(state): axum::extract::State<ApiState>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(token) = extract::bearer(request.headers()) else {
        return next.run(request).await;
    };
    let Ok(principal) = state.service.authenticate(token).await else {
        return next.run(request).await;
    };
    let account = match &principal {
        crate::service::Principal::Key { account_id, .. } => Some(account_id.as_str()),
        crate::service::Principal::Portal(grant) => {
            if let Err(refused) = portal::admit(grant, &request) {
                return refused.into_response();
            }
            Some(grant.account_id.as_str())
        }
        crate::service::Principal::Admin => None,
    };
    let admitted = match account.map(|a| state.admission.admit(a)) {
        None => None,
        Some(Ok(admitted)) => Some(admitted),
        Some(Err(refused)) => {
            metrics::counter!("hookd_api_throttled_total").increment(1);
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                match refused {
                    admission::Refused::Busy => "the account has too many requests in progress; retry after Retry-After seconds",
                    admission::Refused::Rate(_) => "the account exceeds its request rate; retry after Retry-After seconds",
                },
            );
            e.retry_after = Some(refused.retry_after_secs());
            return e.into_response();
        }
    };
    request
        .extensions_mut()
        .insert(extract::Authenticated(principal));
    let response = next.run(request).await;
    drop(admitted);
    response
}

/// Gives every request an id (the caller's `X-Request-Id` if sensible), echoes it, makes it available to
/// error bodies, turns any bare error status into the JSON envelope, and logs the request.
async fn request_context(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| ulid::Ulid::new().to_string());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = std::time::Instant::now();
    // Exported as a trace's server span when traces are on (`telemetry`); otherwise disabled, at no cost.
    let span = tracing::info_span!(
        target: telemetry::SPANS, "request", otel.name = %method, otel.kind = "server",
        http.request.method = %method, url.path = %path, http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty, otel.status_code = tracing::field::Empty,
        request.id = %id,
    );
    telemetry::set_remote_parent(&span, request.headers());
    let mut response = error::REQUEST_ID
        .scope(id.clone(), async move {
            let response = next.run(request).await;
            // A page (the portal's "link not valid") keeps its body; other bare errors get the envelope.
            let has_body = response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| {
                    v.as_bytes().starts_with(b"application/json")
                        || v.as_bytes().starts_with(b"text/html")
                });
            let failed = response.status().is_client_error() || response.status().is_server_error();
            if failed && !has_body {
                return ApiError::for_status(response.status()).into_response();
            }
            response
        })
        .instrument(span.clone())
        .await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", i64::from(status));
    if status >= 500 {
        span.record("otel.status_code", "error");
    }
    let duration_ms = started.elapsed().as_millis() as u64;
    if status == 503 {
        // Storage faults: their episode is logged once where it is noticed (`store::health`).
        tracing::debug!(request.id = %id, http.method = %method, http.path = %path, http.status = status, duration_ms, "request refused: unavailable");
    } else if status >= 500 {
        tracing::warn!(request.id = %id, http.method = %method, http.path = %path, http.status = status, duration_ms, "request failed");
    } else {
        tracing::debug!(request.id = %id, http.method = %method, http.path = %path, http.status = status, duration_ms, "request");
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Names the request's span after its route (`POST /api/v1/apps/{app}/events`), known once routed.
async fn name_request_span(request: Request, next: Next) -> Response {
    if let Some(route) = request.extensions().get::<axum::extract::MatchedPath>() {
        let span = tracing::Span::current();
        span.record("http.route", route.as_str());
        telemetry::rename(&span, format!("{} {}", request.method(), route.as_str()));
    }
    next.run(request).await
}

/// The error responses every authenticated route may give.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ErrorResponses {
    /// Malformed JSON.
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// Missing or invalid credentials.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The key's policy does not allow the action.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such resource in the caller's account.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// The resource exists already, or its state does not allow the change.
    #[response(status = 409)]
    Conflict(ErrorBody),
    /// The request body is larger than the limit.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// The request took longer than the server's request timeout (body reading included).
    #[response(status = 408)]
    Timeout(ErrorBody),
    /// Too many requests of the account in progress, or over its rate; retry after `Retry-After` seconds.
    #[response(status = 429)]
    TooMany(ErrorBody),
    /// The body is not sent as JSON (`Content-Type: application/json`).
    #[response(status = 415)]
    UnsupportedMediaType(ErrorBody),
    /// A field failed validation; `error.field` names it.
    #[response(status = 422)]
    Invalid(ErrorBody),
    /// Storage is unavailable; retry after `Retry-After` seconds.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// `?limit=&cursor=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1–250, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl ListQuery {
    fn page(&self) -> PageParams {
        PageParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T: ToSchema> {
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> ListResponse<T> {
    /// A whole list, in one answer.
    pub fn unpaged(data: Vec<T>) -> Self {
        Self {
            data,
            next_cursor: None,
        }
    }
}

impl<T: ToSchema> From<Paged<T>> for ListResponse<T> {
    fn from(p: Paged<T>) -> Self {
        Self {
            data: p.data,
            next_cursor: p.next_cursor,
        }
    }
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
