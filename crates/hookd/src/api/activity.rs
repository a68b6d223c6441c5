//! What deliveries have been doing: a subscription's attempts per hour (`…/subscriptions/{sub}/stats`),
//! throughput and queue depth per minute (`/api/v1/stats`), and the feed of the account's attempts as
//! they are recorded (`/api/v1/attempts`).

use axum::{
    extract::{Path, State},
    Json,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::ApiResult,
    extract::{Acting, ApiQuery, Naming},
    ApiState, ErrorResponses, ListResponse,
};
use crate::views::{AttemptEntry, Stats, SubscriptionStats};

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(get_subscription_stats))
        .routes(routes!(get_stats))
        .routes(routes!(list_attempts))
}

/// `?hours=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HoursQuery {
    /// 1–168, default 24.
    pub hours: Option<i64>,
}

/// `?minutes=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MinutesQuery {
    /// 1–1440, default 60.
    pub minutes: Option<i64>,
}

/// `?after=&limit=&app=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttemptsQuery {
    /// An attempt id: only attempts after it, oldest first. Absent: the newest.
    pub after: Option<String>,
    /// 1–250, default 50.
    pub limit: Option<i64>,
    /// Only attempts of this app's deliveries.
    pub app: Option<String>,
}

/// A subscription's attempts in each of the last `hours` hours (UTC hours, the current one last, empty
/// ones included), split into succeeded and failed.
#[utoipa::path(get, path = "/api/v1/apps/{app}/subscriptions/{sub}/stats", tag = "deliveries",
    params(("app" = String, Path), ("sub" = String, Path), HoursQuery),
    responses((status = 200, body = SubscriptionStats), ErrorResponses), security(("bearer" = ["hookd:deliveries.read"])))]
async fn get_subscription_stats(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, sub)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<HoursQuery>,
) -> ApiResult<Json<SubscriptionStats>> {
    Ok(Json(
        state
            .service
            .subscription_stats(&scope, &app, &sub, query.hours)
            .await?,
    ))
}

/// Events published and attempts made in each of the last `minutes` minutes (the current one last, empty
/// ones included), and the deliveries not finished now. The admin token without `Hookd-Account` sees the
/// whole server; otherwise the account the call acts in.
#[utoipa::path(get, path = "/api/v1/stats", tag = "deliveries", params(MinutesQuery),
    responses((status = 200, body = Stats), ErrorResponses), security(("bearer" = ["hookd:deliveries.read"])))]
async fn get_stats(
    State(state): State<ApiState>,
    Naming { principal, account }: Naming,
    ApiQuery(query): ApiQuery<MinutesQuery>,
) -> ApiResult<Json<Stats>> {
    Ok(Json(
        state
            .service
            .stats(&principal, account.as_deref(), query.minutes)
            .await?,
    ))
}

/// The account's attempts, in attempt id order (ids are made as attempts finish, so this is the order
/// they finished in, to the millisecond across processes): with `after`, the next ones after that
/// attempt, oldest first; without, the newest `limit`, oldest first. `next_cursor` is the last attempt's
/// id when the page is full; to follow new attempts, call again with `after` the last id seen.
#[utoipa::path(get, path = "/api/v1/attempts", tag = "deliveries", params(AttemptsQuery),
    responses((status = 200, body = ListResponse<AttemptEntry>), ErrorResponses), security(("bearer" = ["hookd:deliveries.read"])))]
async fn list_attempts(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    ApiQuery(query): ApiQuery<AttemptsQuery>,
) -> ApiResult<Json<ListResponse<AttemptEntry>>> {
    Ok(Json(
        state
            .service
            .list_attempts(
                &scope,
                query.app.as_deref(),
                query.after.as_deref(),
                query.limit,
            )
            .await?
            .into(),
    ))
}
