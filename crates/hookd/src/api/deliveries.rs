//! `/api/v1/deliveries/{delivery}`: one delivery with its attempt log, and manual retry.

use axum::{extract::Path, extract::State, http::StatusCode, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{error::ApiResult, extract::Acting, ApiState, ErrorResponses};
use crate::views::{Delivery, DeliveryDetail};

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(get_delivery))
        .routes(routes!(retry_delivery))
}

/// Get a delivery with every attempt made.
#[utoipa::path(get, path = "/api/v1/deliveries/{delivery}", tag = "deliveries", params(("delivery" = String, Path)),
    responses((status = 200, body = DeliveryDetail), ErrorResponses), security(("bearer" = ["hookd:deliveries.read"])))]
async fn get_delivery(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path(delivery): Path<String>,
) -> ApiResult<Json<DeliveryDetail>> {
    Ok(Json(state.service.get_delivery(&scope, &delivery).await?))
}

/// Attempt a delivery again now (also one that succeeded or is dead).
#[utoipa::path(post, path = "/api/v1/deliveries/{delivery}/retry", tag = "deliveries", params(("delivery" = String, Path)),
    responses((status = 202, body = Delivery), ErrorResponses), security(("bearer" = ["hookd:deliveries.write"])))]
async fn retry_delivery(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path(delivery): Path<String>,
) -> ApiResult<(StatusCode, Json<Delivery>)> {
    Ok((
        StatusCode::ACCEPTED,
        Json(state.service.retry_delivery(&scope, &delivery).await?),
    ))
}
