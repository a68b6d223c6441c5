//! `/api/v1/apps/{app}/subscriptions`: where an app's events are called back.

use std::collections::BTreeMap;

use axum::{extract::Path, extract::State, http::StatusCode, Json};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    double_option,
    error::ApiResult,
    events::PublishedEvent,
    extract::{Acting, ApiJson, ApiQuery, OptionalJson},
    ApiState, ErrorResponses, ListQuery, ListResponse,
};
use crate::{
    domain::{batch::BatchPolicy, retry::RetryPolicy},
    domain::{Format, Ordering, SubscriptionStatus},
    service::{NewSubscription, SubscriptionPatch},
    views::{Subscription, SubscriptionSecrets, SubscriptionWithSecret},
};

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(create_subscription, list_subscriptions))
        .routes(routes!(
            get_subscription,
            update_subscription,
            delete_subscription
        ))
        .routes(routes!(enable_subscription))
        .routes(routes!(disable_subscription))
        .routes(routes!(rotate_subscription_secret))
        .routes(routes!(get_subscription_secret))
        .routes(routes!(send_test_event))
        .routes(routes!(replay_subscription))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubscription {
    /// http(s) URL of the receiver; must resolve to a public address unless allowed by the operator.
    pub url: String,
    /// Event types to deliver; all when absent or empty.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Only events of this channel.
    pub channel_id: Option<String>,
    /// Only events of these users.
    #[serde(default)]
    pub users: Vec<String>,
    pub format: Option<Format>,
    /// `whsec_…` signing secret; generated when absent.
    pub secret: Option<String>,
    /// Extra headers sent with every callback.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub description: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
    /// Secrets and settings of the vendor format (`CallbackKey`, `CallbackToken`, `NotifyReqAuth`,
    /// `NotifyAuthKey`, `subscriberId`, `subscriberKey`); see docs/FORMATS.md.
    #[serde(default)]
    pub vendor_secrets: BTreeMap<String, String>,
    /// `standard`, `live`, `meeting`, or the delays in seconds before each retry (`[5, 60, 600]`);
    /// default: the format's profile.
    pub retry: Option<RetryPolicy>,
    /// Request timeout in ms, 100 to the server's `delivery.timeout_ms`; default the server's (5 s for `live`).
    pub timeout_ms: Option<u64>,
    /// Also sign every callback with a fresh ed25519 key (`v1a,` entries in `webhook-signature`); the
    /// response's `public_key` verifies them. Default false.
    #[serde(default)]
    pub asymmetric_signing: bool,
    /// Deliveries per second at most, 1 to 10 000, paced evenly (no bursts); default unlimited.
    pub rate_limit: Option<u32>,
    /// `none` (default: parallel, any order) or `fifo` (one at a time, in publish order).
    pub ordering: Option<Ordering>,
    /// Several events per request, for the `cams` format: up to `max_events`, waiting at most `max_wait_ms`.
    pub batch: Option<BatchPolicy>,
    /// Only events whose payload matches this filter (docs/FILTERS.md), e.g.
    /// `{"amount": {"$gte": 100}, "currency": {"$in": ["EUR", "USD"]}}`; default every payload.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSubscription {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// `null` delivers every channel again.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub channel_id: Option<Option<String>>,
    pub users: Option<Vec<String>>,
    pub format: Option<Format>,
    pub headers: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// Replaces the vendor secrets and settings.
    pub vendor_secrets: Option<BTreeMap<String, String>>,
    /// `null` returns to the format's profile.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<RetryPolicy>)]
    pub retry: Option<Option<RetryPolicy>>,
    /// `null` returns to the server's timeout.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<u64>)]
    pub timeout_ms: Option<Option<u64>>,
    /// true adds an ed25519 signing key (an existing one is kept), false removes it.
    pub asymmetric_signing: Option<bool>,
    /// `null` removes the limit.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<u32>)]
    pub rate_limit: Option<Option<u32>>,
    pub ordering: Option<Ordering>,
    /// `null` sends one event per request again.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<BatchPolicy>)]
    pub batch: Option<Option<BatchPolicy>>,
    /// The payload filter (docs/FILTERS.md); `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Option<serde_json::Value>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
    /// The new `whsec_…` secret; generated when absent.
    pub secret: Option<String>,
}

/// Create a subscription; the response carries its signing secret.
#[utoipa::path(post, path = "/api/v1/apps/{app}/subscriptions", tag = "subscriptions", params(("app" = String, Path)),
    request_body = CreateSubscription, responses((status = 201, body = SubscriptionWithSecret), ErrorResponses),
    security(("bearer" = ["hookd:subscriptions.write"])))]
async fn create_subscription(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path(app): Path<String>,
    ApiJson(body): ApiJson<CreateSubscription>,
) -> ApiResult<(StatusCode, Json<SubscriptionWithSecret>)> {
    let new = NewSubscription {
        url: body.url,
        event_types: body.event_types,
        channel_id: body.channel_id,
        users: body.users,
        format: body.format,
        secret: body.secret,
        headers: body.headers,
        description: body.description,
        enabled: body.enabled,
        vendor_secrets: body.vendor_secrets,
        retry: body.retry,
        timeout_ms: body.timeout_ms,
        asymmetric_signing: body.asymmetric_signing,
        rate_limit: body.rate_limit,
        ordering: body.ordering,
        batch: body.batch,
        payload_filter: body.filter,
        ..NewSubscription::default()
    };
    let created = state.service.create_subscription(&scope, &app, new).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// List an app's subscriptions.
#[utoipa::path(get, path = "/api/v1/apps/{app}/subscriptions", tag = "subscriptions",
    params(("app" = String, Path), ListQuery),
    responses((status = 200, body = ListResponse<Subscription>), ErrorResponses), security(("bearer" = ["hookd:subscriptions.read"])))]
async fn list_subscriptions(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path(app): Path<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListResponse<Subscription>>> {
    Ok(Json(
        state
            .service
            .list_subscriptions(&scope, &app, &query.page())
            .await?
            .into(),
    ))
}

/// Get a subscription.
#[utoipa::path(get, path = "/api/v1/apps/{app}/subscriptions/{sub}", tag = "subscriptions",
    params(("app" = String, Path), ("sub" = String, Path)),
    responses((status = 200, body = Subscription), ErrorResponses), security(("bearer" = ["hookd:subscriptions.read"])))]
async fn get_subscription(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, sub)): Path<(String, String)>,
) -> ApiResult<Json<Subscription>> {
    Ok(Json(
        state.service.get_subscription(&scope, &app, &sub).await?,
    ))
}

/// Change a subscription's target, filter, format, headers or description.
#[utoipa::path(patch, path = "/api/v1/apps/{app}/subscriptions/{sub}", tag = "subscriptions",
    params(("app" = String, Path), ("sub" = String, Path)), request_body = UpdateSubscription,
    responses((status = 200, body = Subscription), ErrorResponses), security(("bearer" = ["hookd:subscriptions.write"])))]
async fn update_subscription(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, sub)): Path<(String, String)>,
    ApiJson(body): ApiJson<UpdateSubscription>,
) -> ApiResult<Json<Subscription>> {
    let patch = SubscriptionPatch {
        url: body.url,
        event_types: body.event_types,
        channel_id: body.channel_id,
        users: body.users,
        format: body.format,
        headers: body.headers,
        description: body.description,
        vendor_secrets: body.vendor_secrets,
        retry: body.retry,
        timeout_ms: body.timeout_ms,
        asymmetric_signing: body.asymmetric_signing,
        rate_limit: body.rate_limit,
        ordering: body.ordering,
        batch: body.batch,
        payload_filter: body.filter,
    };
    Ok(Json(
        state
            .service
            .update_subscription(&scope, &app, &sub, patch)
            .await?,
    ))
}

/// Delete a subscription; its unfinished deliveries are cancelled.
#[utoipa::path(delete, path = "/api/v1/apps/{app}/subscriptions/{sub}", tag = "subscriptions",
    params(("app" = String, Path), ("sub" = String, Path)),
    responses((status = 204), ErrorResponses), security(("bearer" = ["hookd:subscriptions.write"])))]
async fn delete_subscription(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, sub)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .service
        .delete_subscription(&scope, &app, &sub)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_status(
    state: &ApiState,
    scope: &crate::service::Scope,
    app: &str,
    sub: &str,
    status: SubscriptionStatus,
) -> ApiResult<Json<Subscription>> {
    Ok(Json(
        state
            .service
            .set_subscription_status(scope, app, sub, status)
            .await?,
    ))
}

/// Enable a subscription; deliveries held while it was disabled resume.
#[utoipa::path(post, path = "/api/v1/apps/{app}/subscriptions/{sub}/enable", tag = "subscriptions",
    params(("app" = String, Path), ("sub" = String, Path)),
    responses((status = 200, body = Subscription), ErrorResponses), security(("bearer" = ["hookd:subscriptions.write"])))]
async fn enable_subscription(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, sub)): Path<(String, String)>,
) -> ApiResult<Json<Subscription>> {
    set_status(&state, &scope, &app, &sub, SubscriptionStatus::Enabled).await
}

/// Disable a subscription: new events are not delivered to it and pending deliveries wait.
#[utoipa::path(post, path = "/api/v1/apps/{app}/subscriptions/{sub}/disable", tag = "subscriptions",
    params(("app" = String, Path), ("sub" = String, Path)),
    responses((status = 200, body = Subscription), ErrorResponses), security(("bearer" = ["hookd:subscriptions.write"])))]
async fn disable_subscription(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, sub)): Path<(String, String)>,
) -> ApiResult<Json<Subscription>> {
    set_status(&state, &scope, &app, &sub, SubscriptionStatus::Disabled).await
}

/// Rotate the signing secret; the previous one keeps signing alongside it for the grace period.
#[utoipa::path(post, path = "/api/v1/apps/{app}/subscriptions/{sub}/rotate-secret", tag = "subscriptions",
    params(("app" = String, Path), ("sub" = String, Path)), request_body(content = Option<RotateSecret>),
    responses((status = 200, body = SubscriptionWithSecret), ErrorResponses), security(("bearer" = ["hookd:subscriptions.write"])))]
async fn rotate_subscription_secret(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, sub)): Path<(String, String)>,
    OptionalJson(body): OptionalJson<RotateSecret>,
) -> ApiResult<Json<SubscriptionWithSecret>> {
    let secret = body.and_then(|b| b.secret);
    Ok(Json(
        state
            .service
            .rotate_subscription_secret(&scope, &app, &sub, secret.as_deref())
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    /// Deliveries created at or after this time (RFC 3339) are sent again; absent: all of them ("retry
    /// all failing").
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Count them only: nothing is queued, and `matching` says how many would be.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Replayed {
    /// How many dead or retrying deliveries were queued again (0 for a dry run).
    pub requeued: u64,
    /// How many dead or retrying deliveries the replay covers (those queued, or for a dry run those it
    /// would queue).
    pub matching: u64,
}

/// Send a synthetic `hookd.test` event to this subscription, whatever its filter.
#[utoipa::path(post, path = "/api/v1/apps/{app}/subscriptions/{sub}/test", tag = "subscriptions",
    params(("app" = String, Path), ("sub" = String, Path)),
    responses((status = 201, body = PublishedEvent), ErrorResponses), security(("bearer" = ["hookd:events.write", "hookd:subscriptions.read"])))]
async fn send_test_event(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, sub)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<PublishedEvent>)> {
    let published = state.service.send_test_event(&scope, &app, &sub).await?;
    Ok((
        StatusCode::CREATED,
        Json(PublishedEvent {
            event: published.event,
            deliveries: published.deliveries,
        }),
    ))
}

/// Send again every dead or retrying delivery of this subscription, or those created since a time (one
/// more attempt each, at the subscription's rate limit). With `dry_run`, only count them (200).
#[utoipa::path(post, path = "/api/v1/apps/{app}/subscriptions/{sub}/replay", tag = "subscriptions",
    params(("app" = String, Path), ("sub" = String, Path)), request_body = Replay,
    responses((status = 202, body = Replayed), (status = 200, description = "A dry run's count", body = Replayed), ErrorResponses),
    security(("bearer" = ["hookd:deliveries.write", "hookd:subscriptions.read"])))]
async fn replay_subscription(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, sub)): Path<(String, String)>,
    ApiJson(body): ApiJson<Replay>,
) -> ApiResult<(StatusCode, Json<Replayed>)> {
    let (matching, requeued) = state
        .service
        .replay_subscription(&scope, &app, &sub, body.since, body.dry_run)
        .await?;
    let status = if body.dry_run {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(Replayed { requeued, matching })))
}

/// The subscription's current signing secret, and the vendor secrets a dialect stored with it.
#[utoipa::path(get, path = "/api/v1/apps/{app}/subscriptions/{sub}/secret", tag = "subscriptions",
    params(("app" = String, Path), ("sub" = String, Path)),
    responses((status = 200, body = SubscriptionSecrets), ErrorResponses), security(("bearer" = ["hookd:subscriptions.read"])))]
async fn get_subscription_secret(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, sub)): Path<(String, String)>,
) -> ApiResult<Json<SubscriptionSecrets>> {
    Ok(Json(
        state
            .service
            .subscription_secrets(&scope, &app, &sub)
            .await?,
    ))
}
