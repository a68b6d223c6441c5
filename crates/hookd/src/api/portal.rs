//! The customer portal: sessions a platform opens for its customers (`/api/v1/apps/{app}/portal-sessions`),
//! the account's embedding and theme (`/api/v1/portal-settings`), the portal page itself
//! (`/portal/{session}/`, the console in its portal mode) and the rule that keeps a portal token to the
//! routes a customer needs ([`admit`]).
//!
//! The token travels in the link's fragment (`#token=…`), which browsers never send to a server nor put
//! in `Referer`; the page keeps it in memory and sends it as `Authorization: Bearer`. So it appears in no
//! request line, log or cookie.

use axum::{
    extract::{MatchedPath, Path, Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Json, Router,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ApiError, ApiResult},
    extract::{Acting, ApiJson},
    ApiState, ErrorResponses, ListResponse,
};
use crate::{
    service::{NewPortalSession, PortalGrant, PortalSession, PortalSettings},
    views::time,
};

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(create_session, list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(get_settings, put_settings))
}

/// The portal page, beside the API (it is a page, not an API operation).
pub fn page_router() -> Router<ApiState> {
    Router::new().route("/portal/{session}/", get(page)).route(
        "/portal/{session}",
        get(|Path(session): Path<String>| async move {
            // Browsers keep the fragment (the token) across this redirect.
            Redirect::permanent(&format!("/portal/{}/", session_segment(&session)))
        }),
    )
}

/// A session id as a path segment: its letters, digits and `_` (ids have no others).
fn session_segment(segment: &str) -> String {
    segment
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePortalSession {
    /// `manage` (default): the customer may add, change, test and delete endpoints and retry deliveries;
    /// `read-only`: they may only look (signing secrets included, to verify deliveries).
    pub capability: Option<String>,
    /// Limits the session to these event types (exact types or `prefix.*`); absent: every type.
    pub event_types: Option<Vec<String>>,
    /// How long the session lasts: 60–86400 seconds, default 3600.
    pub ttl_seconds: Option<u64>,
    /// Who the session is for, shown in the list of sessions (at most 200 characters).
    pub description: Option<String>,
}

/// A portal session (never its token).
#[derive(Debug, Serialize, ToSchema)]
pub struct PortalSessionView {
    pub id: String,
    pub account_id: String,
    pub app_id: String,
    /// `manage` or `read-only`.
    pub capability: String,
    /// The event types the session is limited to; null for every type.
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<PortalSession> for PortalSessionView {
    fn from(s: PortalSession) -> Self {
        Self {
            id: s.row.id,
            account_id: s.row.account_id,
            app_id: s.row.app_id,
            capability: s.row.capability,
            event_types: s.types,
            description: s.row.description,
            created_at: time(s.row.created_at),
            expires_at: time(s.row.expires_at),
        }
    }
}

/// A new session: its token (shown only now) and the link that opens the portal with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedPortalSession {
    #[serde(flatten)]
    pub session: PortalSessionView,
    /// The bearer token the portal page uses. Shown once; only a hash is stored.
    pub token: String,
    /// `<server>/portal/<id>/#token=<token>`: open it, or use it as an `<iframe>`'s `src`.
    pub url: String,
}

/// Open a customer-portal session for an app. The caller needs `hookd:portal.write` and every action the
/// capability grants: the reads listed for a `read-only` session, and also `hookd:subscriptions.write`,
/// `hookd:events.write` and `hookd:deliveries.write` for a `manage` one.
#[utoipa::path(post, path = "/api/v1/apps/{app}/portal-sessions", tag = "portal",
    request_body = CreatePortalSession,
    responses((status = 201, body = CreatedPortalSession), ErrorResponses),
    security(("bearer" = ["hookd:portal.write", "hookd:apps.read", "hookd:subscriptions.read", "hookd:events.read", "hookd:deliveries.read"])))]
async fn create_session(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path(app): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreatePortalSession>,
) -> ApiResult<(StatusCode, Json<CreatedPortalSession>)> {
    let issued = state
        .service
        .create_portal_session(
            &scope,
            &app,
            NewPortalSession {
                capability: body.capability,
                event_types: body.event_types,
                ttl_seconds: body.ttl_seconds,
                description: body.description,
            },
        )
        .await?;
    let url = format!(
        "{}/portal/{}/#token={}",
        state.base_url(&headers),
        issued.session.row.id,
        issued.token
    );
    Ok((
        StatusCode::CREATED,
        Json(CreatedPortalSession {
            session: issued.session.into(),
            token: issued.token,
            url,
        }),
    ))
}

/// The app's live portal sessions (neither expired nor revoked), newest first.
#[utoipa::path(get, path = "/api/v1/apps/{app}/portal-sessions", tag = "portal",
    responses((status = 200, body = ListResponse<PortalSessionView>), ErrorResponses),
    security(("bearer" = ["hookd:portal.read"])))]
async fn list_sessions(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path(app): Path<String>,
) -> ApiResult<Json<ListResponse<PortalSessionView>>> {
    let sessions = state.service.list_portal_sessions(&scope, &app).await?;
    Ok(Json(ListResponse::unpaged(
        sessions.into_iter().map(Into::into).collect(),
    )))
}

/// Revoke a portal session: its token is refused from the next request on.
#[utoipa::path(delete, path = "/api/v1/apps/{app}/portal-sessions/{session}", tag = "portal",
    responses((status = 204), ErrorResponses), security(("bearer" = ["hookd:portal.write"])))]
async fn revoke_session(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, session)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .service
        .revoke_portal_session(&scope, &app, &session)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account's portal settings: who may embed it, and how it looks.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalSettingsBody {
    /// Origins whose pages may show the portal in an `<iframe>` (its `frame-ancestors`), e.g.
    /// `https://app.example.com`; `https://*.example.com` allows subdomains. Empty: none may.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Shown in the portal's header and title instead of "hookd".
    pub product_name: Option<String>,
    /// An http(s) image URL shown in the header.
    pub logo_url: Option<String>,
    /// `#rrggbb`, for the portal's buttons and links.
    pub primary_color: Option<String>,
}

impl From<PortalSettings> for PortalSettingsBody {
    fn from(s: PortalSettings) -> Self {
        Self {
            allowed_origins: s.allowed_origins,
            product_name: s.product_name,
            logo_url: s.logo_url,
            primary_color: s.primary_color,
        }
    }
}

/// Read the acting account's portal settings.
#[utoipa::path(get, path = "/api/v1/portal-settings", tag = "portal",
    responses((status = 200, body = PortalSettingsBody), ErrorResponses),
    security(("bearer" = ["hookd:portal.read"])))]
async fn get_settings(
    State(state): State<ApiState>,
    Acting(scope): Acting,
) -> ApiResult<Json<PortalSettingsBody>> {
    Ok(Json(state.service.portal_settings(&scope).await?.into()))
}

/// Replace the acting account's portal settings (fields left out are cleared).
#[utoipa::path(put, path = "/api/v1/portal-settings", tag = "portal",
    request_body = PortalSettingsBody,
    responses((status = 200, body = PortalSettingsBody), ErrorResponses),
    security(("bearer" = ["hookd:portal.write"])))]
async fn put_settings(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    ApiJson(body): ApiJson<PortalSettingsBody>,
) -> ApiResult<Json<PortalSettingsBody>> {
    let settings = PortalSettings::parse(
        &body.allowed_origins,
        body.product_name.as_deref(),
        body.logo_url.as_deref(),
        body.primary_color.as_deref(),
    )
    .map_err(crate::service::Error::from)?;
    Ok(Json(
        state
            .service
            .set_portal_settings(&scope, settings)
            .await?
            .into(),
    ))
}

/// The portal page: the console's page, framed only by the account's allowed origins. An unknown session
/// gets a plain page that says so; an expired or revoked one gets the portal, which says so itself.
async fn page(State(state): State<ApiState>, Path(session): Path<String>) -> Response {
    let settings = match state.service.portal_page_settings(&session).await {
        Ok(settings) => settings,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (status, csp, body): (_, String, &'static [u8]) = match settings {
        Some(settings) => (
            StatusCode::OK,
            settings.content_security_policy(),
            crate::console::ASSETS[0].bytes,
        ),
        None => (
            StatusCode::NOT_FOUND,
            PortalSettings::default().content_security_policy(),
            UNKNOWN_SESSION_PAGE.as_bytes(),
        ),
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    match HeaderValue::from_str(&csp) {
        Ok(value) => {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        // Origins are checked when saved, so this cannot happen; if it did, nothing may frame the page.
        Err(_) => {
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
    }
    response
}

const UNKNOWN_SESSION_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Link not valid</title></head>\
<body><main><h1>This link is not valid</h1><p>It may have expired or been revoked. Open the webhooks \
page again from the product you came from.</p></main></body></html>";

/// The routes a portal token may call: its app's endpoints, events, deliveries and catalog, and the few
/// account-free reads the portal page needs. Everything else is refused before the handler runs; the
/// service checks the app, the types and the capability again on each call.
const PORTAL_ROUTES: &[(Method, &str)] = &[
    (Method::GET, "/api/v1/me"),
    (Method::GET, "/api/v1/failure-kinds"),
    (Method::GET, "/api/v1/openapi.json"),
    (Method::GET, "/api/v1/attempts"),
    (Method::GET, "/api/v1/apps/{app}"),
    (Method::GET, "/api/v1/apps/{app}/subscriptions"),
    (Method::POST, "/api/v1/apps/{app}/subscriptions"),
    (Method::GET, "/api/v1/apps/{app}/subscriptions/{sub}"),
    (Method::PATCH, "/api/v1/apps/{app}/subscriptions/{sub}"),
    (Method::DELETE, "/api/v1/apps/{app}/subscriptions/{sub}"),
    (
        Method::POST,
        "/api/v1/apps/{app}/subscriptions/{sub}/enable",
    ),
    (
        Method::POST,
        "/api/v1/apps/{app}/subscriptions/{sub}/disable",
    ),
    (
        Method::POST,
        "/api/v1/apps/{app}/subscriptions/{sub}/rotate-secret",
    ),
    (Method::GET, "/api/v1/apps/{app}/subscriptions/{sub}/secret"),
    (Method::POST, "/api/v1/apps/{app}/subscriptions/{sub}/test"),
    (
        Method::POST,
        "/api/v1/apps/{app}/subscriptions/{sub}/replay",
    ),
    (
        Method::GET,
        "/api/v1/apps/{app}/subscriptions/{sub}/deliveries",
    ),
    (Method::GET, "/api/v1/apps/{app}/subscriptions/{sub}/stats"),
    (
        Method::GET,
        "/api/v1/apps/{app}/subscriptions/{sub}/failures",
    ),
    (Method::GET, "/api/v1/apps/{app}/events"),
    (Method::GET, "/api/v1/apps/{app}/events/{event}"),
    (Method::GET, "/api/v1/apps/{app}/events/{event}/deliveries"),
    (Method::GET, "/api/v1/deliveries/{delivery}"),
    (Method::POST, "/api/v1/deliveries/{delivery}/retry"),
    (Method::GET, "/api/v1/apps/{app}/event-types"),
    (Method::GET, "/api/v1/apps/{app}/event-types/{name}"),
    (
        Method::POST,
        "/api/v1/apps/{app}/event-types/{name}/send-example",
    ),
];

/// Whether a portal session may make this request: a listed route, and the session's own app where the
/// route names one. `Err` is the answer to send instead.
pub fn admit(grant: &PortalGrant, request: &Request) -> Result<(), ApiError> {
    let Some(route) = request.extensions().get::<MatchedPath>() else {
        return Err(refused());
    };
    let route = route.as_str();
    if !PORTAL_ROUTES
        .iter()
        .any(|(method, path)| method == request.method() && *path == route)
    {
        return Err(refused());
    }
    let named_app = route
        .split('/')
        .zip(request.uri().path().split('/'))
        .find(|(template, _)| *template == "{app}")
        .map(|(_, value)| value);
    match named_app {
        Some(app) if !grant.sees_app(&percent_decoded(app)) => {
            Err(ApiError::from(crate::service::Error::NotFound("app")))
        }
        _ => Ok(()),
    }
}

fn refused() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "a customer-portal session reaches only its app's endpoints, events, deliveries and event types",
    )
}

fn percent_decoded(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

impl ApiState {
    /// The server's address as people reach it: the configured public URL, else the scheme this server
    /// speaks and the `Host` the request came to.
    fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.public_url {
            return url.trim_end_matches('/').to_owned();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            })
            .unwrap_or("localhost");
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{host}")
    }
}
