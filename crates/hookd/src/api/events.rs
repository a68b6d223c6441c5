//! `/api/v1/apps/{app}/events`: publishing and reading events, and their deliveries.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ApiError, ApiResult},
    extract::{Acting, ApiJson, ApiQuery},
    ApiState, ErrorResponses, ListQuery, ListResponse,
};
use crate::{
    domain::DeliveryStatus,
    service::{NewEvent, PageParams},
    views::{Delivery, Event},
};

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(publish_event, list_events))
        .routes(routes!(get_event))
        .routes(routes!(list_event_deliveries))
        .routes(routes!(list_subscription_deliveries))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishEvent {
    #[serde(rename = "type")]
    pub event_type: String,
    /// Any JSON; sent to native receivers byte for byte.
    #[schema(value_type = Object)]
    pub payload: Box<RawValue>,
    pub channel_id: Option<String>,
    pub user_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublishedEvent {
    #[serde(flatten)]
    pub event: Event,
    /// One per matching subscription.
    pub deliveries: Vec<Delivery>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// Only deliveries in this state.
    pub status: Option<DeliveryStatus>,
}

/// Publish an event. The response means it is stored durably and will be delivered to every matching
/// subscription. With `Idempotency-Key`, a repeat of the same request returns the first result (200,
/// `Idempotent-Replayed: true`); the same key with a different request is a 409.
#[utoipa::path(post, path = "/api/v1/apps/{app}/events", tag = "events",
    params(("app" = String, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = PublishEvent,
    responses((status = 201, body = PublishedEvent), (status = 200, body = PublishedEvent, description = "idempotent replay"), ErrorResponses),
    security(("bearer" = ["hookd:events.write"])))]
async fn publish_event(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path(app): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PublishEvent>,
) -> ApiResult<Response> {
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::invalid("Idempotency-Key", "must be printable ASCII"))?,
        ),
        None => None,
    };
    let new = NewEvent {
        event_type: body.event_type,
        payload: body.payload,
        channel_id: body.channel_id,
        user_id: body.user_id,
    };
    let published = state.service.publish(&scope, &app, new, key).await?;
    let status = if published.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut response = (
        status,
        Json(PublishedEvent {
            event: published.event,
            deliveries: published.deliveries,
        }),
    )
        .into_response();
    if published.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// List an app's events, newest first.
#[utoipa::path(get, path = "/api/v1/apps/{app}/events", tag = "events", params(("app" = String, Path), ListQuery),
    responses((status = 200, body = ListResponse<Event>), ErrorResponses), security(("bearer" = ["hookd:events.read"])))]
async fn list_events(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path(app): Path<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListResponse<Event>>> {
    Ok(Json(
        state
            .service
            .list_events(&scope, &app, &query.page())
            .await?
            .into(),
    ))
}

/// Get an event.
#[utoipa::path(get, path = "/api/v1/apps/{app}/events/{event}", tag = "events",
    params(("app" = String, Path), ("event" = String, Path)),
    responses((status = 200, body = Event), ErrorResponses), security(("bearer" = ["hookd:events.read"])))]
async fn get_event(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, event)): Path<(String, String)>,
) -> ApiResult<Json<Event>> {
    Ok(Json(state.service.get_event(&scope, &app, &event).await?))
}

/// List an event's deliveries, one per subscription it matched.
#[utoipa::path(get, path = "/api/v1/apps/{app}/events/{event}/deliveries", tag = "deliveries",
    params(("app" = String, Path), ("event" = String, Path), ListQuery),
    responses((status = 200, body = ListResponse<Delivery>), ErrorResponses), security(("bearer" = ["hookd:deliveries.read", "hookd:events.read"])))]
async fn list_event_deliveries(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, event)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListResponse<Delivery>>> {
    Ok(Json(
        state
            .service
            .list_event_deliveries(&scope, &app, &event, &query.page())
            .await?
            .into(),
    ))
}

/// List a subscription's deliveries, newest first, optionally of one status.
#[utoipa::path(get, path = "/api/v1/apps/{app}/subscriptions/{sub}/deliveries", tag = "deliveries",
    params(("app" = String, Path), ("sub" = String, Path), DeliveryQuery),
    responses((status = 200, body = ListResponse<Delivery>), ErrorResponses), security(("bearer" = ["hookd:deliveries.read"])))]
async fn list_subscription_deliveries(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, sub)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<ListResponse<Delivery>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    Ok(Json(
        state
            .service
            .list_subscription_deliveries(&scope, &app, &sub, query.status, &page)
            .await?
            .into(),
    ))
}
