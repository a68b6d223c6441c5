//! Huawei Cloud Meeting: sign-in (`auth`: App ID authentication or account sign-in → an access token),
//! then `X-Access-Token` on the webhook link-config routes. A config is the `meeting` subscription of an account's
//! `meeting` app; enabling it runs the `meeting.verify` handshake. Errors are `{error_code, error_msg}`.
//!
//! The Huawei SDK fetches tokens over https only, so hookd must serve TLS (`HOOKD_TLS_CERT`/`_KEY`) for it.
//! Tokens are valid for 24 hours (the SDK renews after 12) and stored as hashes, so they survive restarts
//! and work on every node; revoking the key revokes its tokens.

mod auth;

pub use auth::app_auth_signature;

use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{post, put},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    dialects::DialectState,
    domain::{Format, Product, SubscriptionStatus},
    service::{self, NewSubscription, Scope, SubscriptionPatch},
};

/// The app and the subscription source of Meeting webhook configs.
pub const SOURCE: &str = "meeting";
const TOKEN_LIFETIME_SECS: i64 = 24 * 3600;
/// How far ahead a client may set the auth request's `expireTime`.
const MAX_EXPIRE_AHEAD_SECS: i64 = 24 * 3600;

pub fn router() -> Router<DialectState> {
    Router::new()
        .route("/v2/usg/acs/auth/appauth", post(auth::app_auth))
        .route("/v1/usg/acs/auth/account", post(auth::account_auth))
        .route(
            "/v1/mmc/management/webhook/link-config",
            post(set_config).get(show_config).delete(delete_config),
        )
        .route(
            "/v1/mmc/management/webhook/change-status",
            put(change_status),
        )
}

/// An error as the Huawei SDK reads it.
pub struct HwError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

fn err(status: u16, code: &'static str, message: impl Into<String>) -> HwError {
    HwError {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        code,
        message: message.into(),
    }
}

impl IntoResponse for HwError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error_code": self.code, "error_msg": self.message })),
        )
            .into_response()
    }
}

impl From<service::Error> for HwError {
    fn from(e: service::Error) -> Self {
        use service::Error as E;
        match e {
            E::Invalid(i) => err(400, "MMC.111070005", i.to_string()),
            E::NotFound(what) => err(404, "MMC.111070404", format!("{what} not found")),
            E::Forbidden(action) => err(
                403,
                "MMC.111070403",
                format!("the key's policy does not allow {action}"),
            ),
            E::QuotaExceeded(m) | E::Conflict { message: m, .. } => err(409, "MMC.111070409", m),
            // A storage fault: nothing was stored, and the caller may retry (logged once per episode).
            E::Store(e) if e.is_unavailable() => {
                err(503, "MMC.111070503", "service temporarily unavailable")
            }
            other => {
                tracing::error!(error = %other, "Meeting dialect call failed");
                err(500, "MMC.111070500", "internal error")
            }
        }
    }
}

/// The token's principal and the account a call acts in (`corpId`/`spId`, else the token's account),
/// after the product and policy checks of `action`.
async fn scope(
    state: &DialectState,
    headers: &HeaderMap,
    named: Option<&str>,
    action: &str,
) -> Result<Scope, HwError> {
    let presented = headers.get("x-access-token").and_then(|v| v.to_str().ok());
    let found = match presented {
        Some(token) => state.service.access_token(token).await?,
        None => None,
    };
    let (principal, bound) = found.ok_or_else(|| {
        err(
            401,
            "USG.000000004",
            "X-Access-Token is missing, unknown or expired",
        )
    })?;
    let account = named.or(bound.as_deref());
    let scope = state
        .service
        .scope(&principal, account)
        .await
        .map_err(|e| match e {
            service::Error::NotFound(_) => err(
                403,
                "MMC.111070403",
                "corpId/spId is not this enterprise or a child of it",
            ),
            other => other.into(),
        })?;
    scope.require_named(action)?;
    if !state
        .service
        .has_product(&scope.account_id, Product::Meeting)
        .await?
    {
        return Err(err(
            403,
            "MMC.111070403",
            "the enterprise has not enabled Meeting webhooks",
        ));
    }
    Ok(scope)
}

async fn current_config(
    state: &DialectState,
    scope: &Scope,
) -> Result<Option<service::DialectSubscription>, HwError> {
    Ok(state
        .service
        .dialect_subscriptions(scope, SOURCE, SOURCE)
        .await?
        .pop())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinkConfig {
    corp_id: Option<String>,
    sp_id: Option<String>,
    subscriber_id: Option<String>,
    subscriber_key: Option<String>,
    url: Option<String>,
}

async fn set_config(
    State(state): State<DialectState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, HwError> {
    let config: LinkConfig = serde_json::from_slice(&body)
        .map_err(|e| err(400, "MMC.111070005", format!("invalid body: {e}")))?;
    let named = config
        .corp_id
        .as_deref()
        .or(config.sp_id.as_deref())
        .filter(|c| !c.is_empty());
    let scope = scope(&state, &headers, named, "meeting:SetWebHookConfig").await?;
    let url = config
        .url
        .filter(|u| !u.is_empty())
        .ok_or_else(|| err(400, "MMC.111070005", "url is required"))?;
    if !url.starts_with("https://") {
        return Err(err(
            400,
            "MMC.111070005",
            format!("url `{url}` must be an HTTPS URL"),
        ));
    }
    let key = config
        .subscriber_key
        .filter(|k| (8..=128).contains(&k.len()))
        .ok_or_else(|| {
            err(
                400,
                "MMC.111070005",
                "subscriberKey is required (8 to 128 characters)",
            )
        })?;
    let vendor = [("subscriberKey".to_owned(), key)]
        .into_iter()
        .chain(
            config
                .subscriber_id
                .map(|id| ("subscriberId".to_owned(), id)),
        )
        .collect();
    let id = match current_config(&state, &scope).await? {
        Some(existing) => {
            // A new target must pass the handshake again before it receives events.
            let id = existing.subscription.id;
            let patch = SubscriptionPatch {
                url: Some(url),
                vendor_secrets: Some(vendor),
                ..SubscriptionPatch::default()
            };
            state
                .service
                .change_subscription(&scope, SOURCE, &id, patch)
                .await?;
            state
                .service
                .change_subscription_status(&scope, SOURCE, &id, SubscriptionStatus::Disabled)
                .await?;
            id
        }
        None => {
            let new = NewSubscription {
                url,
                enabled: Some(false),
                description: Some("Huawei Cloud Meeting webhook".to_owned()),
                format: Some(Format::Meeting),
                source: Some(SOURCE.to_owned()),
                vendor_secrets: vendor,
                ..NewSubscription::default()
            };
            state
                .service
                .insert_subscription(&scope, SOURCE, new)
                .await?
                .subscription
                .id
        }
    };
    Ok(Json(json!({ "id": id })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigQuery {
    corp_id: Option<String>,
    sp_id: Option<String>,
    id: Option<String>,
    status: Option<i64>,
}

/// 0 enabled, 1 disabled, 2 locked.
fn status_code(status: SubscriptionStatus) -> i64 {
    match status {
        SubscriptionStatus::Enabled => 0,
        SubscriptionStatus::Disabled => 1,
        SubscriptionStatus::Locked => 2,
    }
}

async fn show_config(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Query(q): Query<ConfigQuery>,
) -> Result<Json<Value>, HwError> {
    let named = q
        .corp_id
        .as_deref()
        .or(q.sp_id.as_deref())
        .filter(|c| !c.is_empty());
    let scope = scope(&state, &headers, named, "meeting:ShowWebHookConfig").await?;
    let config = current_config(&state, &scope)
        .await?
        .ok_or_else(|| err(404, "MMC.111070404", "no webhook config exists"))?;
    Ok(Json(json!({
        "returnCode": 0,
        "returnDesc": "success",
        "id": config.subscription.id,
        "subscriberId": config.vendor_secrets.get("subscriberId").cloned().unwrap_or_default(),
        "url": config.subscription.url,
        "status": status_code(config.subscription.status),
    })))
}

/// The account the call acts in and the config named by `?id=` there, after the checks of `action`.
async fn config_by_id(
    state: &DialectState,
    headers: &HeaderMap,
    q: &ConfigQuery,
    action: &str,
) -> Result<(Scope, String), HwError> {
    let scope = scope(state, headers, q.corp_id.as_deref(), action).await?;
    let id =
        q.id.as_deref()
            .ok_or_else(|| err(400, "MMC.111070005", "id is required"))?;
    match current_config(state, &scope).await? {
        Some(c) if c.subscription.id == id => Ok((scope, c.subscription.id)),
        _ => Err(err(
            404,
            "MMC.111070404",
            format!("webhook config `{id}` does not exist"),
        )),
    }
}

async fn delete_config(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Query(q): Query<ConfigQuery>,
) -> Result<Json<Value>, HwError> {
    let (scope, id) = config_by_id(&state, &headers, &q, "meeting:DeleteWebHookConfig").await?;
    state
        .service
        .remove_subscription(&scope, SOURCE, &id)
        .await?;
    Ok(Json(json!({})))
}

async fn change_status(
    State(state): State<DialectState>,
    headers: HeaderMap,
    Query(q): Query<ConfigQuery>,
) -> Result<Json<Value>, HwError> {
    let (scope, id) =
        config_by_id(&state, &headers, &q, "meeting:UpdateWebHookConfigStatus").await?;
    match q.status {
        Some(0) => {
            state
                .service
                .enable_after_meeting_handshake(&scope, SOURCE, &id)
                .await
                .map_err(|e| match e {
                    service::Error::Invalid(i) => err(400, "MMC.111070006", i.message),
                    other => other.into(),
                })?;
        }
        Some(1) => {
            state
                .service
                .change_subscription_status(&scope, SOURCE, &id, SubscriptionStatus::Disabled)
                .await?;
        }
        Some(2) => {
            state
                .service
                .change_subscription_status(&scope, SOURCE, &id, SubscriptionStatus::Locked)
                .await?;
        }
        _ => {
            return Err(err(
                400,
                "MMC.111070005",
                "status must be 0 (enabled), 1 (disabled) or 2 (locked)",
            ))
        }
    }
    Ok(Json(json!({})))
}
