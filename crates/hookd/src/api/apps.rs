//! `/api/v1/apps`: the caller's apps.

use axum::{extract::Path, extract::State, http::StatusCode, Json};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    double_option,
    error::ApiResult,
    extract::{Acting, ApiJson, ApiQuery},
    ApiState, ErrorResponses, ListQuery, ListResponse,
};
use crate::{
    domain::{AppKind, SchemaValidation},
    service::AppSettings,
    views::App,
};

pub fn router() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(create_app, list_apps))
        .routes(routes!(get_app, update_app, delete_app))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApp {
    /// Unique within the account: 1–64 of `A-Z a-z 0-9 . _ -`.
    pub id: String,
    /// `native` (default), `live-domain` or `live-rtc`.
    pub kind: Option<AppKind>,
    pub name: Option<String>,
    /// Most subscriptions the app may hold (default 100).
    pub max_subscriptions: Option<i64>,
    /// What a publish does with the app's event-type catalog: `off` (default), `warn` or `enforce`.
    pub schema_validation: Option<SchemaValidation>,
    /// Subscriptions may only list types of the catalog that are not archived (default false).
    pub catalog_only: Option<bool>,
    /// Days the app's payloads and attempt logs are kept (1–3650); default: the server's retention.
    pub retention_days: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateApp {
    /// `null` clears the name.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    pub max_subscriptions: Option<i64>,
    pub schema_validation: Option<SchemaValidation>,
    pub catalog_only: Option<bool>,
    /// `null` returns to the server's retention.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<u32>)]
    pub retention_days: Option<Option<u32>>,
}

/// Create an app.
#[utoipa::path(post, path = "/api/v1/apps", tag = "apps", request_body = CreateApp,
    responses((status = 201, body = App), ErrorResponses), security(("bearer" = ["hookd:apps.write"])))]
async fn create_app(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    ApiJson(body): ApiJson<CreateApp>,
) -> ApiResult<(StatusCode, Json<App>)> {
    let app = state
        .service
        .create_app(
            &scope,
            &body.id,
            body.kind,
            body.name.as_deref(),
            body.max_subscriptions,
            &AppSettings {
                schema_validation: body.schema_validation,
                catalog_only: body.catalog_only,
                retention_days: body.retention_days.map(Some),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(app)))
}

/// List apps, including the reserved ones.
#[utoipa::path(get, path = "/api/v1/apps", tag = "apps", params(ListQuery),
    responses((status = 200, body = ListResponse<App>), ErrorResponses), security(("bearer" = ["hookd:apps.read"])))]
async fn list_apps(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<ListResponse<App>>> {
    Ok(Json(
        state.service.list_apps(&scope, &query.page()).await?.into(),
    ))
}

/// Get an app.
#[utoipa::path(get, path = "/api/v1/apps/{app}", tag = "apps", params(("app" = String, Path)),
    responses((status = 200, body = App), ErrorResponses), security(("bearer" = ["hookd:apps.read"])))]
async fn get_app(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path(app): Path<String>,
) -> ApiResult<Json<App>> {
    Ok(Json(state.service.get_app(&scope, &app).await?))
}

/// Change an app's name, subscription quota, schema validation, catalog rule or retention.
#[utoipa::path(patch, path = "/api/v1/apps/{app}", tag = "apps", params(("app" = String, Path)), request_body = UpdateApp,
    responses((status = 200, body = App), ErrorResponses), security(("bearer" = ["hookd:apps.write"])))]
async fn update_app(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path(app): Path<String>,
    ApiJson(body): ApiJson<UpdateApp>,
) -> ApiResult<Json<App>> {
    let name = body.name.as_ref().map(|n| n.as_deref());
    Ok(Json(
        state
            .service
            .update_app(
                &scope,
                &app,
                name,
                body.max_subscriptions,
                &AppSettings {
                    schema_validation: body.schema_validation,
                    catalog_only: body.catalog_only,
                    retention_days: body.retention_days,
                },
            )
            .await?,
    ))
}

/// Delete an app with its subscriptions, events and deliveries. Reserved apps cannot be deleted.
#[utoipa::path(delete, path = "/api/v1/apps/{app}", tag = "apps", params(("app" = String, Path)),
    responses((status = 204), ErrorResponses), security(("bearer" = ["hookd:apps.write"])))]
async fn delete_app(
    State(state): State<ApiState>,
    Acting(scope): Acting,
    Path(app): Path<String>,
) -> ApiResult<StatusCode> {
    state.service.delete_app(&scope, &app).await?;
    Ok(StatusCode::NO_CONTENT)
}
