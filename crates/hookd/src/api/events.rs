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
    service::{EventQuery, NewEvent, PageParams},
    views::{Delivery, Event, ListedEvent},
};

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(publish_event, list_events))
        .routes(routes!(get_event))
        .routes(routes!(erase_event_payload))
        .routes(routes!(list_event_deliveries))
        .routes(routes!(list_subscription_deliveries))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishEvent {
    #[serde(rename = "type")]
    pub event_type: String,
    /// Any JSON; sent to native receivers byte for byte.
    #[schema(value_type = serde_json::Value)]
    pub payload: Box<RawValue>,
    pub channel_id: Option<String>,
    pub user_id: Option<String>,
    /// The schema version of the type to check the payload against (when the app validates); default:
    /// the newest.
    pub schema_version: Option<u32>,
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
        schema_version: body.schema_version,
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

/// The conditions of an event search (every one given must hold), besides `limit` and `cursor`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Read by hand (`search_query`): it documents the parameters.
pub struct EventSearchParams {
    /// 1–250, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only events of this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<String>,
    /// Only events whose type begins with this (`order.`).
    pub type_prefix: Option<String>,
    /// Only events of this channel.
    pub channel: Option<String>,
    /// Created at or after this time (RFC 3339).
    pub after: Option<chrono::DateTime<chrono::Utc>>,
    /// Created before this time (RFC 3339).
    pub before: Option<chrono::DateTime<chrono::Utc>>,
}

/// Reads a search's query string: the named parameters, and `payload.<dotted.path>=<value>` (up to five).
/// Any other parameter is an error naming it.
fn search_query(pairs: Vec<(String, String)>) -> Result<(EventQuery, ListQuery), ApiError> {
    let mut query = EventQuery::default();
    let mut list = ListQuery {
        limit: None,
        cursor: None,
    };
    let time = |name: &str, value: &str| {
        chrono::DateTime::parse_from_rfc3339(value)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|_| {
                ApiError::invalid(name, "must be an RFC 3339 time, e.g. 2026-01-31T12:00:00Z")
            })
    };
    for (name, value) in pairs {
        match name.as_str() {
            "limit" => {
                list.limit = Some(
                    value
                        .parse()
                        .map_err(|_| ApiError::invalid("limit", "must be a whole number"))?,
                )
            }
            "cursor" => list.cursor = Some(value),
            "type" => query.event_type = Some(value),
            "type_prefix" => query.type_prefix = Some(value),
            "channel" => query.channel_id = Some(value),
            "after" => query.after = Some(time("after", &value)?),
            "before" => query.before = Some(time("before", &value)?),
            other => match other.strip_prefix("payload.") {
                Some(path) => query.payload.push((path.to_owned(), value)),
                None => {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_query",
                        format!("unknown parameter `{other}`"),
                    ))
                }
            },
        }
    }
    Ok((query, list))
}

/// List or search an app's events, newest first. Besides the parameters listed, `payload.<dotted.path>=
/// <value>` (up to five) keeps events whose payload has that value at that path, compared as text (a
/// number by its digits, `true`/`false`); a path segment of digits indexes an array.
#[utoipa::path(get, path = "/api/v1/apps/{app}/events", tag = "events", params(("app" = String, Path), EventSearchParams),
    responses((status = 200, body = ListResponse<ListedEvent>), ErrorResponses), security(("bearer" = ["hookd:events.read"])))]
async fn list_events(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path(app): Path<String>,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> ApiResult<Json<ListResponse<ListedEvent>>> {
    let (query, list) = search_query(pairs)?;
    Ok(Json(
        state
            .service
            .search_events(&scope, &app, query, &list.page())
            .await?
            .into(),
    ))
}

/// Erase an event's payload (on a privacy request): the payload becomes `null`, its attempts' response
/// excerpts and its schema violations are dropped, and nothing sends it again. The event and its
/// deliveries stay as records, marked with `erased_at`.
#[utoipa::path(delete, path = "/api/v1/apps/{app}/events/{event}/payload", tag = "events",
    params(("app" = String, Path), ("event" = String, Path)),
    responses((status = 200, body = Event), ErrorResponses), security(("bearer" = ["hookd:events.write"])))]
async fn erase_event_payload(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, event)): Path<(String, String)>,
) -> ApiResult<Json<Event>> {
    Ok(Json(
        state
            .service
            .erase_event_payload(&scope, &app, &event)
            .await?,
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
