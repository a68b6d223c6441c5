//! `/api/v1/apps/{app}/event-types`: the app's event-type catalog.

use axum::{extract::Path, extract::State, http::StatusCode, Json};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    double_option,
    error::ApiResult,
    events::PublishedEvent,
    extract::{Acting, ApiJson, ApiQuery},
    ApiState, ErrorResponses, ListResponse,
};
use crate::{
    service::{EventTypePatch, NewEventType, PageParams},
    views::EventTypeDefinition,
};

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(create_event_type, list_event_types))
        .routes(routes!(get_event_type, update_event_type))
        .routes(routes!(archive_event_type))
        .routes(routes!(unarchive_event_type))
        .routes(routes!(send_example))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEventType {
    /// The event type: 1–128 of `A-Z a-z 0-9 . _ : -`, e.g. `order.created`.
    pub name: String,
    pub description: Option<String>,
    /// A group to show related types together: 1–64 of `A-Z a-z 0-9 . _ -`.
    pub group: Option<String>,
    /// A JSON Schema (draft 2020-12) of the payload: the type's version 1. No remote `$ref`.
    #[schema(schema_with = crate::domain::catalog::optional_schema_document)]
    pub schema: Option<Value>,
    /// Example payloads (at most 10), each checked against `schema`.
    #[serde(default)]
    #[schema(value_type = Vec<serde_json::Value>)]
    pub examples: Vec<Value>,
    #[serde(default)]
    pub deprecated: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEventType {
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub group: Option<Option<String>>,
    pub deprecated: Option<bool>,
    /// A new schema: added as the next version (versions never change).
    #[schema(schema_with = crate::domain::catalog::optional_schema_document)]
    pub schema: Option<Value>,
    /// The examples of the new version (with `schema`), or of the newest one (without).
    #[schema(value_type = Option<Vec<serde_json::Value>>)]
    pub examples: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventTypeQuery {
    /// 1–250, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Include archived types (default false).
    pub archived: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendExample {
    /// The subscription to send it to (whatever its filter).
    pub subscription_id: String,
    /// The schema version whose example to send; default the newest.
    pub version: Option<u32>,
    /// Which of its examples, from 0 (default).
    #[serde(default)]
    pub example: usize,
}

/// Add an event type to the app's catalog.
#[utoipa::path(post, path = "/api/v1/apps/{app}/event-types", tag = "event-types", params(("app" = String, Path)),
    request_body = CreateEventType, responses((status = 201, body = EventTypeDefinition), ErrorResponses),
    security(("bearer" = ["hookd:apps.write"])))]
async fn create_event_type(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path(app): Path<String>,
    ApiJson(body): ApiJson<CreateEventType>,
) -> ApiResult<(StatusCode, Json<EventTypeDefinition>)> {
    let new = NewEventType {
        name: body.name,
        description: body.description,
        group: body.group,
        schema: body.schema,
        examples: body.examples,
        deprecated: body.deprecated,
    };
    let created = state.service.create_event_type(&scope, &app, new).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// List the app's event types by name (archived ones with `archived=true`).
#[utoipa::path(get, path = "/api/v1/apps/{app}/event-types", tag = "event-types",
    params(("app" = String, Path), EventTypeQuery),
    responses((status = 200, body = ListResponse<EventTypeDefinition>), ErrorResponses), security(("bearer" = ["hookd:apps.read"])))]
async fn list_event_types(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path(app): Path<String>,
    ApiQuery(query): ApiQuery<EventTypeQuery>,
) -> ApiResult<Json<ListResponse<EventTypeDefinition>>> {
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    Ok(Json(
        state
            .service
            .list_event_types(&scope, &app, query.archived.unwrap_or(false), &page)
            .await?
            .into(),
    ))
}

/// Get an event type with its schema versions and examples.
#[utoipa::path(get, path = "/api/v1/apps/{app}/event-types/{name}", tag = "event-types",
    params(("app" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = EventTypeDefinition), ErrorResponses), security(("bearer" = ["hookd:apps.read"])))]
async fn get_event_type(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, name)): Path<(String, String)>,
) -> ApiResult<Json<EventTypeDefinition>> {
    Ok(Json(
        state.service.get_event_type(&scope, &app, &name).await?,
    ))
}

/// Change an event type's description, group or deprecation; add a schema version; replace the newest
/// version's examples.
#[utoipa::path(patch, path = "/api/v1/apps/{app}/event-types/{name}", tag = "event-types",
    params(("app" = String, Path), ("name" = String, Path)), request_body = UpdateEventType,
    responses((status = 200, body = EventTypeDefinition), ErrorResponses), security(("bearer" = ["hookd:apps.write"])))]
async fn update_event_type(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, name)): Path<(String, String)>,
    ApiJson(body): ApiJson<UpdateEventType>,
) -> ApiResult<Json<EventTypeDefinition>> {
    let patch = EventTypePatch {
        description: body.description,
        group: body.group,
        deprecated: body.deprecated,
        schema: body.schema,
        examples: body.examples,
    };
    Ok(Json(
        state
            .service
            .update_event_type(&scope, &app, &name, patch)
            .await?,
    ))
}

/// Archive an event type: it stays readable, but an app that asks for it refuses new subscriptions to it
/// (`catalog_only`) and publishes of it (`schema_validation: enforce`).
#[utoipa::path(post, path = "/api/v1/apps/{app}/event-types/{name}/archive", tag = "event-types",
    params(("app" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = EventTypeDefinition), ErrorResponses), security(("bearer" = ["hookd:apps.write"])))]
async fn archive_event_type(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, name)): Path<(String, String)>,
) -> ApiResult<Json<EventTypeDefinition>> {
    Ok(Json(
        state
            .service
            .archive_event_type(&scope, &app, &name, true)
            .await?,
    ))
}

/// Bring an archived event type back.
#[utoipa::path(post, path = "/api/v1/apps/{app}/event-types/{name}/unarchive", tag = "event-types",
    params(("app" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = EventTypeDefinition), ErrorResponses), security(("bearer" = ["hookd:apps.write"])))]
async fn unarchive_event_type(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, name)): Path<(String, String)>,
) -> ApiResult<Json<EventTypeDefinition>> {
    Ok(Json(
        state
            .service
            .archive_event_type(&scope, &app, &name, false)
            .await?,
    ))
}

/// Send one of the type's examples to a subscription as an event of that type, whatever its filter.
#[utoipa::path(post, path = "/api/v1/apps/{app}/event-types/{name}/send-example", tag = "event-types",
    params(("app" = String, Path), ("name" = String, Path)), request_body = SendExample,
    responses((status = 201, body = PublishedEvent), ErrorResponses),
    security(("bearer" = ["hookd:events.write", "hookd:subscriptions.read", "hookd:apps.read"])))]
async fn send_example(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path((app, name)): Path<(String, String)>,
    ApiJson(body): ApiJson<SendExample>,
) -> ApiResult<(StatusCode, Json<PublishedEvent>)> {
    let published = state
        .service
        .send_example(
            &scope,
            &app,
            &body.subscription_id,
            &name,
            body.version,
            body.example,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PublishedEvent {
            event: published.event,
            deliveries: published.deliveries,
        }),
    ))
}
