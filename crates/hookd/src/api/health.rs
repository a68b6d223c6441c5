//! What people fixing subscriptions read: health counted per app (`/api/v1/subscription-health`), the
//! failure kinds explained (`/api/v1/failure-kinds`) and a subscription's failing deliveries grouped by
//! how they fail (`…/subscriptions/{sub}/failures`).

use axum::{
    extract::{Path, State},
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::ApiResult,
    extract::{Acting, Caller, Naming},
    ApiState, ErrorResponses, ListResponse,
};
use crate::views::{FailureGroup, FailureKindInfo, HealthCount};

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(get_subscription_health))
        .routes(routes!(list_failure_kinds))
        .routes(routes!(list_failure_groups))
}

/// How many subscriptions of each app are healthy, failing, disabled or locked (apps without
/// subscriptions are left out). The admin token without `Hookd-Account` sees every account's apps;
/// otherwise the account the call acts in. Never paged.
#[utoipa::path(get, path = "/api/v1/subscription-health", tag = "subscriptions",
    responses((status = 200, body = ListResponse<HealthCount>), ErrorResponses), security(("bearer" = ["hookd:subscriptions.read"])))]
async fn get_subscription_health(
    State(state): State<ApiState>,
    Naming { principal, account }: Naming,
) -> ApiResult<Json<ListResponse<HealthCount>>> {
    let data = state
        .service
        .subscription_health(&principal, account.as_deref())
        .await?;
    Ok(Json(ListResponse::unpaged(data)))
}

/// The kinds an attempt's `failure` (and a delivery's `last_failure`) can be, each with a plain title and
/// what to try. Any caller may read it.
#[utoipa::path(get, path = "/api/v1/failure-kinds", tag = "deliveries",
    responses((status = 200, body = ListResponse<FailureKindInfo>), ErrorResponses), security(("bearer" = [])))]
async fn list_failure_kinds(Caller(_caller): Caller) -> Json<ListResponse<FailureKindInfo>> {
    Json(ListResponse::unpaged(crate::service::failure_kinds()))
}

/// The subscription's retrying and dead deliveries grouped by how their last attempt failed (kind, status
/// code and error), most deliveries first; at most 50 groups.
#[utoipa::path(get, path = "/api/v1/apps/{app}/subscriptions/{sub}/failures", tag = "deliveries",
    params(("app" = String, Path), ("sub" = String, Path)),
    responses((status = 200, body = ListResponse<FailureGroup>), ErrorResponses), security(("bearer" = ["hookd:deliveries.read"])))]
async fn list_failure_groups(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, sub)): Path<(String, String)>,
) -> ApiResult<Json<ListResponse<FailureGroup>>> {
    let data = state.service.failure_groups(&scope, &app, &sub).await?;
    Ok(Json(ListResponse::unpaged(data)))
}
